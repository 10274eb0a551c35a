// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test suite for the memory shrinker of GEM objects backed by shmem:
 * eviction, purge and swap-in, driven with drm_gem_shrinker_shrink() the way
 * memory reclaim calls the shrinker.
 *
 * The KUnit machine has no swap: the tests declare swap space available
 * (&drm_gem_shrinker.swap), so that evicted pages stay in the page cache of
 * the shmem file of each object, where the tests can inspect them.
 */

#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/highmem.h>
#include <linux/iosys-map.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/random.h>
#include <linux/scatterlist.h>
#include <linux/shmem_fs.h>
#include <linux/sched.h>
#include <linux/shrinker.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <kunit/device.h>
#include <kunit/test-bug.h>
#include <kunit/test.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_gem_shrinker.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_prime.h>
#include <drm/drm_vma_manager.h>

#define TEST_PAGES		4
#define TEST_OBJECTS		4
/* nr_to_scan of a scan that asks for everything */
#define TEST_SHRINK_ALL		LONG_MAX
/* Bound on the injected failures of one swap-in path */
#define TEST_MAX_INJECTIONS	32
/* Pages of the object whose real allocations fail, and its bound */
#define TEST_HOLE_PAGES		8
#define TEST_MAX_REAL_INJECTIONS	512
#define TEST_REAL_SWEEPS	4

#define RACE_OBJECTS		8
#define RACE_VOLATILE		2
#define RACE_USERS		4
#define RACE_MS			1500

KUNIT_DEFINE_ACTION_WRAPPER(drm_gem_object_put_wrapper, drm_gem_object_put,
			    struct drm_gem_object *);

KUNIT_DEFINE_ACTION_WRAPPER(drm_gem_shmem_unpin_wrapper, drm_gem_shmem_unpin,
			    struct drm_gem_shmem_object *);

KUNIT_DEFINE_ACTION_WRAPPER(dma_buf_put_wrapper, dma_buf_put,
			    struct dma_buf *);

KUNIT_DEFINE_ACTION_WRAPPER(fput_wrapper, fput, struct file *);

/* The device and the shrinker of a test */
struct shrinker_test {
	struct drm_device *drm;
	struct drm_gem_shrinker *gs;
	/* DRM file for mmap and export, created on first use */
	struct file *file;
	/* A shmem file whose writepage is wrapped, and its own operations */
	struct address_space *wrapped;
	const struct address_space_operations *real_aops;
	unsigned int writepages;
	/* The folio the test locked the moment writepage unlocked it */
	struct folio *grabbed;
	/* Calls of the scan_end hook from the test thread */
	unsigned int scan_end_calls;
};

/*
 * The driver object: a shmem object, its expected contents and what the
 * driver's purge and evict hooks saw. The shmem helpers free it with
 * kfree() of the shmem object, so that must come first.
 */
struct shrinker_test_bo {
	struct drm_gem_shmem_object shmem;
	unsigned int index;
	/* Expected contents, derived from @index */
	u8 *pattern;
	/* CPU mapping in the test thread, or NULL */
	void __user *uptr;
	/* Hooks, under the reservation lock: return value, calls, calls without pages */
	int evict_ret;
	unsigned int evict_calls;
	unsigned int evict_calls_unbacked;
	/* Of those, calls of the purge hook */
	unsigned int purge_calls;
	/* The scan context of the last call: flags, drm_gem_lru_scan_timeout() */
	unsigned int hook_flags;
	long hook_timeout;
	/* Asynchronous teardown: the first call starts it and declines */
	bool two_phase;
	bool teardown_started;
};

static_assert(offsetof(struct shrinker_test_bo, shmem) == 0);

static struct shrinker_test_bo *to_test_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct shrinker_test_bo, shmem.base);
}

static size_t bo_size(const struct shrinker_test_bo *bo)
{
	return bo->shmem.base.size;
}

static unsigned long bo_pages(const struct shrinker_test_bo *bo)
{
	return bo->shmem.base.size >> PAGE_SHIFT;
}

static unsigned int pin_count(struct drm_gem_shmem_object *shmem)
{
	return refcount_read(&shmem->pages_pin_count);
}

static unsigned int use_count(struct drm_gem_shmem_object *shmem)
{
	return refcount_read(&shmem->pages_use_count);
}

static unsigned int vmap_count(struct drm_gem_shmem_object *shmem)
{
	return refcount_read(&shmem->vmap_use_count);
}

/* The driver's hooks: record whether the pages were still there, and the context */
static int shrinker_test_hook(struct drm_gem_shmem_object *shmem,
			      struct drm_gem_lru_scan_ctx *ctx, bool purge)
{
	struct shrinker_test_bo *bo = to_test_bo(&shmem->base);

	dma_resv_assert_held(shmem->base.resv);

	bo->evict_calls++;
	bo->purge_calls += purge;
	if (!bo->shmem.pages)
		bo->evict_calls_unbacked++;
	bo->hook_flags = ctx->flags;
	bo->hook_timeout = drm_gem_lru_scan_timeout(ctx);

	if (bo->two_phase && !bo->teardown_started) {
		bo->teardown_started = true;
		return -EBUSY;
	}

	return bo->evict_ret;
}

static int shrinker_test_purge_hook(struct drm_gem_shmem_object *shmem,
				    struct drm_gem_lru_scan_ctx *ctx)
{
	return shrinker_test_hook(shmem, ctx, true);
}

static int shrinker_test_evict_hook(struct drm_gem_shmem_object *shmem,
				    struct drm_gem_lru_scan_ctx *ctx)
{
	return shrinker_test_hook(shmem, ctx, false);
}

static void shrinker_test_scan_end_hook(struct drm_device *dev)
{
	struct kunit *test = kunit_get_current_test();
	struct shrinker_test *st;

	/* Real reclaim, outside of the test thread */
	if (!test)
		return;
	st = test->priv;
	st->scan_end_calls++;
}

static const struct drm_gem_shmem_shrinker_funcs shrinker_test_hooks = {
	.purge = shrinker_test_purge_hook,
	.evict = shrinker_test_evict_hook,
	.scan_end = shrinker_test_scan_end_hook,
};

static const struct drm_gem_object_funcs shrinker_test_gem_funcs = {
	.free = drm_gem_shmem_object_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

static struct drm_gem_object *
shrinker_test_gem_create_object(struct drm_device *dev, size_t size)
{
	struct shrinker_test_bo *bo;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);

	bo->shmem.base.funcs = &shrinker_test_gem_funcs;

	return &bo->shmem.base;
}

DEFINE_DRM_GEM_FOPS(shrinker_test_fops);

static const struct drm_driver shrinker_test_driver = {
	.driver_features = DRIVER_GEM,
	.fops = &shrinker_test_fops,
	.gem_create_object = shrinker_test_gem_create_object,
	DRM_GEM_SHMEM_DRIVER_OPS,
};

#ifdef CONFIG_FAULT_INJECTION
static void shrinker_test_set_fail_nth(unsigned int n)
{
	WRITE_ONCE(current->fail_nth, n);
}

static unsigned int shrinker_test_fail_nth(void)
{
	return READ_ONCE(current->fail_nth);
}
#else
static void shrinker_test_set_fail_nth(unsigned int n)
{
}

static unsigned int shrinker_test_fail_nth(void)
{
	return 0;
}
#endif

/* The LRU @bo is on, read under the LRU lock */
static struct drm_gem_lru *shrinker_test_lru(struct shrinker_test_bo *bo)
{
	struct drm_device *dev = bo->shmem.base.dev;
	struct drm_gem_lru *lru;

	mutex_lock(&dev->gem_lru_mutex);
	lru = bo->shmem.base.lru;
	mutex_unlock(&dev->gem_lru_mutex);

	return lru;
}

/* The most recently used object of @lru, or NULL */
static struct drm_gem_object *shrinker_test_lru_tail(struct drm_device *dev,
						     struct drm_gem_lru *lru)
{
	struct drm_gem_object *obj;

	mutex_lock(&dev->gem_lru_mutex);
	if (list_empty(&lru->list))
		obj = NULL;
	else
		obj = list_last_entry(&lru->list, struct drm_gem_object, lru_node);
	mutex_unlock(&dev->gem_lru_mutex);

	return obj;
}

static void shrinker_test_read_pages(struct page **pages, size_t size, u8 *buf)
{
	unsigned long i;

	for (i = 0; i < size >> PAGE_SHIFT; i++) {
		void *vaddr = kmap_local_page(pages[i]);

		memcpy(buf + i * PAGE_SIZE, vaddr, PAGE_SIZE);
		kunmap_local(vaddr);
	}
}

static int shrinker_test_read_sgt(struct sg_table *sgt, size_t size, u8 *buf)
{
	struct sg_page_iter piter;
	size_t offset = 0;

	for_each_sgtable_page(sgt, &piter, 0) {
		void *vaddr;

		if (offset >= size)
			return -E2BIG;

		vaddr = kmap_local_page(sg_page_iter_page(&piter));
		memcpy(buf + offset, vaddr, PAGE_SIZE);
		kunmap_local(vaddr);
		offset += PAGE_SIZE;
	}

	return offset == size ? 0 : -ENODATA;
}

/* Copy the contents of @bo to @buf; the caller holds the reservation lock */
static int shrinker_test_read_locked(struct shrinker_test_bo *bo, u8 *buf)
{
	dma_resv_assert_held(bo->shmem.base.resv);

	if (!bo->shmem.pages)
		return -ENODATA;

	shrinker_test_read_pages(bo->shmem.pages, bo_size(bo), buf);

	return 0;
}

/* Offset of the first byte of @buf that differs from the pattern of @bo, or -1 */
static long shrinker_test_mismatch(const struct shrinker_test_bo *bo, const u8 *buf)
{
	size_t i = 0;

	if (!memcmp(buf, bo->pattern, bo_size(bo)))
		return -1;

	while (buf[i] == bo->pattern[i])
		i++;

	return i;
}

static bool shrinker_test_expect_pattern(struct kunit *test,
					 const struct shrinker_test_bo *bo,
					 const u8 *buf, const char *what)
{
	long off = shrinker_test_mismatch(bo, buf);

	if (off < 0)
		return true;

	KUNIT_FAIL(test, "object %u, read through %s: byte %ld is 0x%02x, expected 0x%02x",
		   bo->index, what, off, buf[off], bo->pattern[off]);
	return false;
}

/*
 * The ways to use an object, each of which must bring evicted pages back.
 * A path copies the contents of the object into @buf while it has them.
 */
struct shrinker_test_use {
	struct shrinker_test_bo *bo;
	struct iosys_map map;
	u8 *buf;
};

enum shrinker_test_path_id {
	TEST_PATH_SWAPIN,
	TEST_PATH_GET_PAGES,
	TEST_PATH_PIN,
	TEST_PATH_VMAP,
	TEST_PATH_SGT,
	TEST_PATH_FAULT,
};

struct shrinker_test_path {
	const char *name;
	/* Make the pages present, copy the contents; 0 or a negative errno */
	int (*get)(struct shrinker_test_use *use);
	/* Drop what a successful get() took, if anything */
	void (*put)(struct shrinker_test_use *use);
	/* The object is pinned between get() and put() */
	bool pins;
	/* get() uses the CPU mapping of the test thread */
	bool needs_mm;
	/* What get() returns when the pages cannot be brought back */
	int err;
	/* What get() returns for a purged object */
	int purged_err;
};

static int shrinker_test_swapin_get(struct shrinker_test_use *use)
{
	struct drm_gem_shmem_object *shmem = &use->bo->shmem;
	int ret;

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_swapin_locked(shmem);
	if (!ret)
		ret = shrinker_test_read_locked(use->bo, use->buf);
	dma_resv_unlock(shmem->base.resv);

	return ret;
}

static int shrinker_test_get_pages_get(struct shrinker_test_use *use)
{
	struct drm_gem_shmem_object *shmem = &use->bo->shmem;
	int ret;

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_get_pages_locked(shmem);
	if (!ret)
		shrinker_test_read_locked(use->bo, use->buf);
	dma_resv_unlock(shmem->base.resv);

	return ret;
}

static void shrinker_test_get_pages_put(struct shrinker_test_use *use)
{
	struct drm_gem_shmem_object *shmem = &use->bo->shmem;

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_put_pages_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
}

static int shrinker_test_pin_get(struct shrinker_test_use *use)
{
	struct drm_gem_shmem_object *shmem = &use->bo->shmem;
	int ret;

	ret = drm_gem_shmem_pin(shmem);
	if (ret)
		return ret;

	/* The pages of a pinned object are present and stable. */
	shrinker_test_read_pages(READ_ONCE(shmem->pages), bo_size(use->bo), use->buf);

	return 0;
}

static void shrinker_test_pin_put(struct shrinker_test_use *use)
{
	drm_gem_shmem_unpin(&use->bo->shmem);
}

static int shrinker_test_vmap_get(struct shrinker_test_use *use)
{
	struct drm_gem_shmem_object *shmem = &use->bo->shmem;
	int ret;

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_vmap_locked(shmem, &use->map);
	dma_resv_unlock(shmem->base.resv);
	if (ret)
		return ret;

	iosys_map_memcpy_from(use->buf, &use->map, 0, bo_size(use->bo));

	return 0;
}

static void shrinker_test_vmap_put(struct shrinker_test_use *use)
{
	struct drm_gem_shmem_object *shmem = &use->bo->shmem;

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_vunmap_locked(shmem, &use->map);
	dma_resv_unlock(shmem->base.resv);
}

/* drm_gem_shmem_get_pages_sgt_locked(), in its own locked section */
static struct sg_table *shrinker_test_get_pages_sgt(struct drm_gem_shmem_object *shmem)
{
	struct sg_table *sgt;

	dma_resv_lock(shmem->base.resv, NULL);
	sgt = drm_gem_shmem_get_pages_sgt_locked(shmem);
	dma_resv_unlock(shmem->base.resv);

	return sgt;
}

static int shrinker_test_sgt_get(struct shrinker_test_use *use)
{
	struct drm_gem_shmem_object *shmem = &use->bo->shmem;
	struct sg_table *sgt;
	int ret;

	/* The unlocked getter warns on a shrinker device: its table may go. */
	sgt = shrinker_test_get_pages_sgt(shmem);
	if (IS_ERR(sgt))
		return PTR_ERR(sgt);

	/* The table lives as long as the pages; a scan may have taken both. */
	dma_resv_lock(shmem->base.resv, NULL);
	if (shmem->sgt == sgt)
		ret = shrinker_test_read_sgt(sgt, bo_size(use->bo), use->buf);
	else
		ret = -EAGAIN;
	dma_resv_unlock(shmem->base.resv);

	return ret;
}

static int shrinker_test_fault_get(struct shrinker_test_use *use)
{
	u8 __user *uptr = use->bo->uptr;

	/*
	 * A single access first: copy_from_user() may retry a faulting access
	 * byte by byte, and so hide a page fault that failed once.
	 */
	if (get_user(use->buf[0], uptr) ||
	    copy_from_user(use->buf, uptr, bo_size(use->bo)))
		return -EFAULT;

	return 0;
}

static const struct shrinker_test_path shrinker_test_paths[] = {
	[TEST_PATH_SWAPIN] = {
		.name = "swapin_locked",
		.get = shrinker_test_swapin_get,
		.err = -ENOMEM,
		.purged_err = -EINVAL,
	},
	[TEST_PATH_GET_PAGES] = {
		.name = "get_pages_locked",
		.get = shrinker_test_get_pages_get,
		.put = shrinker_test_get_pages_put,
		.err = -ENOMEM,
		.purged_err = -EINVAL,
	},
	[TEST_PATH_PIN] = {
		.name = "pin",
		.get = shrinker_test_pin_get,
		.put = shrinker_test_pin_put,
		.pins = true,
		.err = -ENOMEM,
		.purged_err = -EINVAL,
	},
	[TEST_PATH_VMAP] = {
		.name = "vmap",
		.get = shrinker_test_vmap_get,
		.put = shrinker_test_vmap_put,
		.pins = true,
		.err = -ENOMEM,
		.purged_err = -EINVAL,
	},
	[TEST_PATH_SGT] = {
		.name = "get_pages_sgt",
		.get = shrinker_test_sgt_get,
		.err = -ENOMEM,
		.purged_err = -EINVAL,
	},
	[TEST_PATH_FAULT] = {
		.name = "cpu_fault",
		.get = shrinker_test_fault_get,
		.needs_mm = true,
		.err = -EFAULT,
		.purged_err = -EFAULT,
	},
};

KUNIT_ARRAY_PARAM_DESC(shrinker_test_paths, shrinker_test_paths, name);

static void shrinker_test_put(const struct shrinker_test_path *path,
			      struct shrinker_test_use *use)
{
	if (path->put)
		path->put(use);
}

static struct drm_device *shrinker_test_alloc_drm(struct kunit *test,
						  const char *name)
{
	struct drm_device *drm;
	struct device *dev;
	int ret;

	dev = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);

	/* drm_gem_shmem_get_pages_sgt() dma-maps the pages. */
	ret = dma_set_mask(dev, DMA_BIT_MASK(64));
	KUNIT_ASSERT_EQ(test, ret, 0);

	drm = __drm_kunit_helper_alloc_drm_device_with_driver(test, dev, sizeof(*drm),
							      0, &shrinker_test_driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, drm);

	return drm;
}

static void shrinker_test_put_pages_action(void *data)
{
	struct drm_gem_shmem_object *shmem = data;

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_put_pages_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
}

static void shrinker_test_vunmap_action(void *data)
{
	struct drm_gem_shmem_object *shmem = data;
	struct iosys_map map;

	iosys_map_set_vaddr(&map, shmem->vaddr);
	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_vunmap_locked(shmem, &map);
	dma_resv_unlock(shmem->base.resv);
}

/* Write the pattern of @bo into the object, through a kernel mapping */
static void shrinker_test_write_pattern(struct kunit *test, struct shrinker_test_bo *bo)
{
	struct drm_gem_shmem_object *shmem = &bo->shmem;
	struct iosys_map map;
	int ret;

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_vmap_locked(shmem, &map);
	if (!ret) {
		iosys_map_memcpy_to(&map, 0, bo->pattern, bo_size(bo));
		drm_gem_shmem_vunmap_locked(shmem, &map);
	}
	dma_resv_unlock(shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
}

/*
 * Create an object of @npages on @drm, dropped at the end of the test. The
 * test takes a use reference, as a driver does for a GPU mapping, and
 * writes the pattern of @index through a kernel mapping. The object ends
 * backed, unpinned and WILLNEED.
 */
static struct shrinker_test_bo *
shrinker_test_bo_create_on(struct kunit *test, struct drm_device *drm,
			   unsigned int index, unsigned long npages)
{
	struct drm_gem_shmem_object *shmem;
	struct shrinker_test_bo *bo;
	size_t i;
	int ret;

	shmem = drm_gem_shmem_create(drm, npages << PAGE_SHIFT);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);

	ret = kunit_add_action_or_reset(test, drm_gem_object_put_wrapper, &shmem->base);
	KUNIT_ASSERT_EQ(test, ret, 0);

	bo = to_test_bo(&shmem->base);
	bo->index = index;
	bo->pattern = kunit_kmalloc(test, bo_size(bo), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, bo->pattern);
	for (i = 0; i < bo_size(bo); i++)
		bo->pattern[i] = (i >> PAGE_SHIFT) * 37 + i * 7 + index * 101 + 0x5a;

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_get_pages_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);

	ret = kunit_add_action_or_reset(test, shrinker_test_put_pages_action, shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	shrinker_test_write_pattern(test, bo);

	return bo;
}

static struct shrinker_test_bo *shrinker_test_bo_create(struct kunit *test,
							unsigned int index)
{
	struct shrinker_test *st = test->priv;

	return shrinker_test_bo_create_on(test, st->drm, index, TEST_PAGES);
}

static u8 *shrinker_test_buf(struct kunit *test, unsigned long npages)
{
	u8 *buf = kunit_kzalloc(test, npages << PAGE_SHIFT, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);

	return buf;
}

static struct drm_file *shrinker_test_file_priv(struct kunit *test)
{
	struct shrinker_test *st = test->priv;
	struct file *file;
	int ret;

	if (!st->file) {
		file = mock_drm_getfile(st->drm->primary, O_RDWR);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);

		ret = kunit_add_action_or_reset(test, fput_wrapper, file);
		KUNIT_ASSERT_EQ(test, ret, 0);
		st->file = file;
	}

	return st->file->private_data;
}

/*
 * Map @bo into the user address space of the test thread through the DRM
 * file, the way userspace does, and read it once: the page tables then hold
 * a mapping that eviction must zap.
 */
static void shrinker_test_bo_mmap(struct kunit *test, struct shrinker_test_bo *bo)
{
	struct drm_file *file_priv = shrinker_test_file_priv(test);
	struct drm_gem_object *obj = &bo->shmem.base;
	struct shrinker_test *st = test->priv;
	unsigned long addr;
	u32 handle;
	u8 *buf;
	int ret;

	/* A handle grants the file access to the fake offset. */
	ret = drm_gem_handle_create(file_priv, obj, &handle);
	KUNIT_ASSERT_EQ(test, ret, 0);

	addr = kunit_vm_mmap(test, st->file, 0, obj->size, PROT_READ | PROT_WRITE,
			     MAP_SHARED, drm_vma_node_offset_addr(&obj->vma_node));

	/* The mapping holds its own references on the file and the object. */
	drm_gem_handle_delete(file_priv, handle);

	KUNIT_ASSERT_NE_MSG(test, addr, 0, "could not create a user mm");
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr), "mmap failed: %ld", (long)addr);
	bo->uptr = (void __user *)addr;

	buf = shrinker_test_buf(test, bo_pages(bo));
	ret = copy_from_user(buf, bo->uptr, bo_size(bo));
	KUNIT_ASSERT_EQ(test, ret, 0);
	shrinker_test_expect_pattern(test, bo, buf, "mmap");
}

/* Export @bo through a handle, as DRM_IOCTL_PRIME_HANDLE_TO_FD does */
static void shrinker_test_bo_export(struct kunit *test, struct shrinker_test_bo *bo)
{
	struct drm_file *file_priv = shrinker_test_file_priv(test);
	struct drm_gem_object *obj = &bo->shmem.base;
	struct shrinker_test *st = test->priv;
	struct dma_buf *dmabuf;
	u32 handle;
	int ret;

	ret = drm_gem_handle_create(file_priv, obj, &handle);
	KUNIT_ASSERT_EQ(test, ret, 0);

	dmabuf = drm_gem_prime_handle_to_dmabuf(st->drm, file_priv, handle, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);

	ret = kunit_add_action_or_reset(test, dma_buf_put_wrapper, dmabuf);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_PTR_EQ(test, obj->dma_buf, dmabuf);
}

static int shrinker_test_madvise(struct shrinker_test_bo *bo, int madv)
{
	struct drm_gem_shmem_object *shmem = &bo->shmem;
	int ret;

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_madvise_locked(shmem, madv);
	dma_resv_unlock(shmem->base.resv);

	return ret;
}

/* Check that @bo is evicted and that its users kept their use references */
static void shrinker_test_expect_evicted(struct kunit *test,
					 struct shrinker_test_bo *bo,
					 unsigned int uses)
{
	struct drm_gem_shmem_object *shmem = &bo->shmem;
	struct shrinker_test *st = test->priv;

	KUNIT_EXPECT_NULL_MSG(test, shmem->pages, "object %u", bo->index);
	KUNIT_EXPECT_NULL_MSG(test, shmem->sgt, "object %u", bo->index);
	KUNIT_EXPECT_TRUE_MSG(test, shmem->evicted, "object %u", bo->index);
	KUNIT_EXPECT_EQ_MSG(test, use_count(shmem), uses, "object %u", bo->index);
	KUNIT_EXPECT_EQ_MSG(test, pin_count(shmem), 0, "object %u", bo->index);
	KUNIT_EXPECT_EQ_MSG(test, vmap_count(shmem), 0, "object %u", bo->index);
	KUNIT_EXPECT_PTR_EQ_MSG(test, shrinker_test_lru(bo), &st->gs->evicted,
				"object %u", bo->index);
}

/* Check that @bo has its pages and contents and is on @lru */
static void shrinker_test_expect_resident(struct kunit *test,
					  struct shrinker_test_bo *bo,
					  struct drm_gem_lru *lru)
{
	struct drm_gem_shmem_object *shmem = &bo->shmem;
	u8 *buf = shrinker_test_buf(test, bo_pages(bo));
	int ret;

	KUNIT_EXPECT_FALSE_MSG(test, shmem->evicted, "object %u", bo->index);
	KUNIT_EXPECT_PTR_EQ_MSG(test, shrinker_test_lru(bo), lru, "object %u", bo->index);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = shrinker_test_read_locked(bo, buf);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "object %u has no pages", bo->index);
	if (!ret)
		shrinker_test_expect_pattern(test, bo, buf, "pages");
}

/*
 * Check the state of @bo after a call failed: the counts are unchanged, no
 * table or kernel mapping is left, and the object is either still evicted
 * or resident, with its contents, on the LRU of that state. Returns true if
 * the failed call left the pages in.
 */
static bool shrinker_test_expect_consistent(struct kunit *test,
					    struct shrinker_test_bo *bo,
					    unsigned int uses)
{
	struct drm_gem_shmem_object *shmem = &bo->shmem;
	struct shrinker_test *st = test->priv;

	KUNIT_EXPECT_NULL(test, shmem->sgt);
	KUNIT_EXPECT_NULL(test, shmem->vaddr);

	if (!shmem->pages) {
		shrinker_test_expect_evicted(test, bo, uses);
		return false;
	}

	KUNIT_EXPECT_EQ(test, use_count(shmem), uses);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, vmap_count(shmem), 0);
	shrinker_test_expect_resident(test, bo, &st->gs->willneed);

	return true;
}

/*
 * Forget the uses of the objects on the reclaimable LRUs, as if none had been
 * used since the last scan: the shrinker gives objects used since then a
 * second chance, which tests that expect a scan to reclaim everything
 * idle do not want. Only for tests: the marks belong to the reservation
 * locks, and nothing else runs here.
 */
static void shrinker_test_age(struct shrinker_test *st)
{
	struct drm_gem_shrinker *gs = st->gs;
	struct drm_gem_lru *lrus[] = { &gs->willneed, &gs->dontneed };
	struct drm_gem_object *obj;
	unsigned int i;

	mutex_lock(&st->drm->gem_lru_mutex);
	for (i = 0; i < ARRAY_SIZE(lrus); i++)
		list_for_each_entry(obj, &lrus[i]->list, lru_node)
			WRITE_ONCE(obj->lru_referenced, false);
	mutex_unlock(&st->drm->gem_lru_mutex);
}

/* Scan as reclaim would, after forgetting earlier uses */
static unsigned long shrinker_test_shrink(struct shrinker_test *st,
					  unsigned long nr_to_scan, gfp_t gfp,
					  struct drm_gem_shrinker_scan_stats *stats)
{
	shrinker_test_age(st);
	return drm_gem_shrinker_shrink(st->gs, nr_to_scan, gfp, stats);
}

/* Evict @bo with a scan that asks for everything */
static void shrinker_test_evict(struct kunit *test, struct shrinker_test_bo *bo,
				unsigned int uses)
{
	struct shrinker_test *st = test->priv;

	shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, NULL);

	KUNIT_ASSERT_TRUE_MSG(test, bo->shmem.evicted, "object %u was not evicted",
			      bo->index);
	shrinker_test_expect_evicted(test, bo, uses);
}

/*
 * Test eviction and swap-in through one path. Mapped objects with a cached
 * sg_table, a use reference of their user and a pattern each are evicted by
 * a scan for exactly their pages, then each is used through the path under
 * test. The test case succeeds if the scan reports all pages freed by the
 * idle eviction stage and calls the evict hook once per object while the
 * pages are there, every object is then evicted (no pages, no sg_table, on
 * the evicted LRU) with its use count down only by the sg_table's
 * reference, the count reports nothing left, and the path brings the full
 * pattern back, clears the evicted state, puts the object on the pinned or
 * WILLNEED LRU and accounts the pages as swapped in.
 */
static void drm_test_gem_shmem_shrinker_evict_swapin(struct kunit *test)
{
	const struct shrinker_test_path *path = test->param_value;
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker *gs = st->gs;
	struct shrinker_test_bo *bos[TEST_OBJECTS];
	struct drm_gem_shrinker_scan_stats stats;
	unsigned int uses[TEST_OBJECTS], i;
	unsigned long total = 0, freed;
	long evicted, swapin;
	u8 *buf;
	int ret;

	buf = shrinker_test_buf(test, TEST_PAGES);

	for (i = 0; i < TEST_OBJECTS; i++) {
		struct sg_table *sgt;

		bos[i] = shrinker_test_bo_create(test, i);
		shrinker_test_bo_mmap(test, bos[i]);
		uses[i] = use_count(&bos[i]->shmem);

		sgt = shrinker_test_get_pages_sgt(&bos[i]->shmem);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
		KUNIT_ASSERT_EQ(test, use_count(&bos[i]->shmem), uses[i] + 1);
		total += bo_pages(bos[i]);
	}

	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), total);

	evicted = atomic_long_read(&gs->evicted_pages);
	swapin = atomic_long_read(&gs->swapin_pages);

	freed = shrinker_test_shrink(st, total, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, freed, total);
	KUNIT_EXPECT_EQ(test, stats.freed, total);
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_EVICT_IDLE], total);
	KUNIT_EXPECT_GE(test, stats.nr_scanned, total);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gs->evicted_pages) - evicted, (long)total);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), SHRINK_EMPTY);

	for (i = 0; i < TEST_OBJECTS; i++) {
		shrinker_test_expect_evicted(test, bos[i], uses[i]);
		KUNIT_EXPECT_EQ(test, bos[i]->evict_calls, 1);
		KUNIT_EXPECT_EQ(test, bos[i]->evict_calls_unbacked, 0);
	}

	for (i = 0; i < TEST_OBJECTS; i++) {
		struct shrinker_test_use use = { .bo = bos[i], .buf = buf };
		struct drm_gem_shmem_object *shmem = &bos[i]->shmem;

		memset(buf, 0, bo_size(bos[i]));
		ret = path->get(&use);
		KUNIT_ASSERT_EQ_MSG(test, ret, 0, "object %u", i);
		shrinker_test_expect_pattern(test, bos[i], buf, path->name);
		KUNIT_EXPECT_NOT_NULL(test, shmem->pages);
		KUNIT_EXPECT_FALSE(test, shmem->evicted);
		KUNIT_EXPECT_PTR_EQ(test, shrinker_test_lru(bos[i]),
				    path->pins ? &gs->pinned : &gs->willneed);

		shrinker_test_put(path, &use);
		KUNIT_EXPECT_PTR_EQ(test, shrinker_test_lru(bos[i]), &gs->willneed);
	}

	KUNIT_EXPECT_EQ(test, atomic_long_read(&gs->swapin_pages) - swapin, (long)total);
}

/*
 * Test that eviction puts the pages back dirty. Writes through a kernel
 * mapping do not dirty the page cache, so a clean page would be dropped by
 * reclaim instead of being written to swap. After eviction, the test drops
 * the clean pages of each shmem file itself, as reclaim may do at any time.
 * The test case succeeds if every page of every evicted object is in the
 * page cache and dirty (or under writeback), and the full pattern comes
 * back on swap-in.
 */
static void drm_test_gem_shmem_shrinker_evict_dirty(struct kunit *test)
{
	const struct shrinker_test_path *path = &shrinker_test_paths[TEST_PATH_SWAPIN];
	struct shrinker_test *st = test->priv;
	struct shrinker_test_bo *bos[TEST_OBJECTS];
	unsigned long total = 0, freed;
	unsigned int i;
	u8 *buf;
	int ret;

	buf = shrinker_test_buf(test, TEST_PAGES);

	for (i = 0; i < TEST_OBJECTS; i++) {
		bos[i] = shrinker_test_bo_create(test, i);
		total += bo_pages(bos[i]);
	}

	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, NULL);
	KUNIT_ASSERT_EQ(test, freed, total);

	for (i = 0; i < TEST_OBJECTS; i++) {
		struct address_space *mapping = bos[i]->shmem.base.filp->f_mapping;
		pgoff_t idx = 0;

		shrinker_test_expect_evicted(test, bos[i], 1);

		while (idx < bo_pages(bos[i])) {
			struct folio *folio = filemap_get_folio(mapping, idx);

			if (IS_ERR(folio)) {
				KUNIT_FAIL(test, "object %u: page %lu is not in the page cache",
					   i, idx);
				idx++;
				continue;
			}

			KUNIT_EXPECT_TRUE_MSG(test, folio_test_dirty(folio) ||
					      folio_test_writeback(folio),
					      "object %u: page %lu is clean", i, idx);
			idx = folio_next_index(folio);
			folio_put(folio);
		}

		invalidate_mapping_pages(mapping, 0, -1);
	}

	for (i = 0; i < TEST_OBJECTS; i++) {
		struct shrinker_test_use use = { .bo = bos[i], .buf = buf };

		ret = path->get(&use);
		KUNIT_ASSERT_EQ(test, ret, 0);
		shrinker_test_expect_pattern(test, bos[i], buf, path->name);
	}
}

/*
 * Test purging a DONTNEED object that is mapped, has a cached sg_table and
 * a use reference. The test case succeeds if the scan purges all its pages
 * in the idle purge stage, the object ends PURGED without pages, sg_table
 * or LRU, its shmem file holds nothing any more, its mmap offset is freed,
 * the use references other than the sg_table's are kept, an access through
 * the existing CPU mapping faults with SIGBUS, every path that brings pages
 * back fails (-EINVAL, -EFAULT for the CPU access) without changing
 * anything, and madvise reports the object as not retained.
 */
static void drm_test_gem_shmem_shrinker_purge(struct kunit *test)
{
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker *gs = st->gs;
	struct drm_gem_shrinker_scan_stats stats;
	struct drm_gem_shmem_object *shmem;
	struct shrinker_test_bo *bo;
	unsigned long freed;
	unsigned int uses, i;
	struct sg_table *sgt;
	long purged;
	u8 *buf;
	int ret;

	buf = shrinker_test_buf(test, TEST_PAGES);
	bo = shrinker_test_bo_create(test, 0);
	shmem = &bo->shmem;
	shrinker_test_bo_mmap(test, bo);
	uses = use_count(shmem);

	sgt = shrinker_test_get_pages_sgt(shmem);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);

	ret = shrinker_test_madvise(bo, DRM_GEM_SHMEM_MADV_DONTNEED);
	KUNIT_EXPECT_EQ(test, ret, 1);
	KUNIT_EXPECT_PTR_EQ(test, shrinker_test_lru(bo), &gs->dontneed);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), bo_pages(bo));

	purged = atomic_long_read(&gs->purged_pages);
	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, freed, bo_pages(bo));
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_PURGE_IDLE], bo_pages(bo));
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gs->purged_pages) - purged, (long)bo_pages(bo));
	KUNIT_EXPECT_EQ(test, bo->evict_calls, 1);
	KUNIT_EXPECT_EQ(test, bo->evict_calls_unbacked, 0);

	KUNIT_EXPECT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_PURGED);
	KUNIT_EXPECT_NULL(test, shmem->pages);
	KUNIT_EXPECT_NULL(test, shmem->sgt);
	KUNIT_EXPECT_FALSE(test, shmem->evicted);
	KUNIT_EXPECT_NULL(test, shrinker_test_lru(bo));
	KUNIT_EXPECT_TRUE(test, mapping_empty(shmem->base.filp->f_mapping));
	KUNIT_EXPECT_EQ(test, drm_vma_node_offset_addr(&shmem->base.vma_node), 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), uses);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), SHRINK_EMPTY);

	for (i = 0; i < ARRAY_SIZE(shrinker_test_paths); i++) {
		const struct shrinker_test_path *path = &shrinker_test_paths[i];
		struct shrinker_test_use use = { .bo = bo, .buf = buf };

		ret = path->get(&use);
		KUNIT_EXPECT_EQ_MSG(test, ret, path->purged_err, "path %s", path->name);
		if (!ret)
			shrinker_test_put(path, &use);

		KUNIT_EXPECT_NULL_MSG(test, shmem->pages, "path %s", path->name);
		KUNIT_EXPECT_NULL_MSG(test, shmem->sgt, "path %s", path->name);
		KUNIT_EXPECT_EQ_MSG(test, use_count(shmem), uses, "path %s", path->name);
		KUNIT_EXPECT_EQ_MSG(test, pin_count(shmem), 0, "path %s", path->name);
		KUNIT_EXPECT_EQ_MSG(test, vmap_count(shmem), 0, "path %s", path->name);
	}

	KUNIT_EXPECT_NULL(test, shrinker_test_lru(bo));
	KUNIT_EXPECT_TRUE(test, mapping_empty(shmem->base.filp->f_mapping));

	ret = shrinker_test_madvise(bo, DRM_GEM_SHMEM_MADV_WILLNEED);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_PURGED);
}

/*
 * Test that the shrinker leaves alone what it must not touch: a pinned
 * object, a vmapped object, an object exported through dma-buf after it was
 * written, and an object imported from another device. One more, idle
 * object shows that the scan does evict. The test case succeeds if the
 * count only includes the idle object (before the export, which
 * exported_count covers), a scan that asks for everything frees exactly the
 * pages of the idle object, the evict hook never runs for the others, they
 * all keep their pages and pattern, the local ones on the pinned LRU and
 * the imported one on no LRU at all with its sg_table, and the count is
 * empty afterwards.
 */
static void drm_test_gem_shmem_shrinker_untouchable(struct kunit *test)
{
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker *gs = st->gs;
	struct shrinker_test_bo *pinned, *vmapped, *exported, *exporter, *idle;
	struct drm_gem_shmem_object *imported;
	struct drm_gem_object *obj;
	struct drm_device *drm2;
	struct dma_buf *dmabuf;
	struct sg_table *import_sgt;
	struct iosys_map map;
	unsigned long freed;
	u8 *buf;
	int ret;

	buf = shrinker_test_buf(test, TEST_PAGES);

	pinned = shrinker_test_bo_create(test, 0);
	ret = drm_gem_shmem_pin(&pinned->shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kunit_add_action_or_reset(test, drm_gem_shmem_unpin_wrapper, &pinned->shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	vmapped = shrinker_test_bo_create(test, 1);
	dma_resv_lock(vmapped->shmem.base.resv, NULL);
	ret = drm_gem_shmem_vmap_locked(&vmapped->shmem, &map);
	dma_resv_unlock(vmapped->shmem.base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kunit_add_action_or_reset(test, shrinker_test_vunmap_action, &vmapped->shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* Import a buffer of another device. */
	drm2 = shrinker_test_alloc_drm(test, "drm-gem-shmem-shrinker-exporter");
	exporter = shrinker_test_bo_create_on(test, drm2, 3, TEST_PAGES);
	dmabuf = drm_gem_prime_export(&exporter->shmem.base, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dmabuf);
	ret = kunit_add_action_or_reset(test, dma_buf_put_wrapper, dmabuf);
	KUNIT_ASSERT_EQ(test, ret, 0);
	obj = drm_gem_prime_import(st->drm, dmabuf);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, obj);
	ret = kunit_add_action_or_reset(test, drm_gem_object_put_wrapper, obj);
	KUNIT_ASSERT_EQ(test, ret, 0);
	imported = to_drm_gem_shmem_obj(obj);
	KUNIT_ASSERT_NOT_NULL(test, obj->import_attach);
	import_sgt = imported->sgt;

	idle = shrinker_test_bo_create(test, 4);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), bo_pages(idle));

	/* Counting an object exported after it was written: see exported_count. */
	exported = shrinker_test_bo_create(test, 2);
	shrinker_test_bo_export(test, exported);

	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, NULL);
	KUNIT_EXPECT_EQ(test, freed, bo_pages(idle));
	shrinker_test_expect_evicted(test, idle, 1);

	shrinker_test_expect_resident(test, pinned, &gs->pinned);
	shrinker_test_expect_resident(test, vmapped, &gs->pinned);
	KUNIT_EXPECT_PTR_EQ(test, vmapped->shmem.vaddr, map.vaddr);
	iosys_map_memcpy_from(buf, &map, 0, bo_size(vmapped));
	shrinker_test_expect_pattern(test, vmapped, buf, "vmap");
	shrinker_test_expect_resident(test, exported, &gs->pinned);
	KUNIT_EXPECT_EQ(test, pinned->evict_calls + vmapped->evict_calls +
			exported->evict_calls + to_test_bo(obj)->evict_calls, 0);

	KUNIT_EXPECT_NULL(test, shrinker_test_lru(to_test_bo(obj)));
	KUNIT_EXPECT_PTR_EQ(test, imported->sgt, import_sgt);
	KUNIT_EXPECT_NOT_NULL(test, exporter->shmem.pages);
	dma_resv_lock(obj->resv, NULL);
	ret = drm_gem_shmem_vmap_locked(imported, &map);
	if (!ret) {
		iosys_map_memcpy_from(buf, &map, 0, obj->size);
		drm_gem_shmem_vunmap_locked(imported, &map);
	}
	dma_resv_unlock(obj->resv);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (!ret)
		shrinker_test_expect_pattern(test, exporter, buf, "import");

	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(gs, GFP_KERNEL), SHRINK_EMPTY);
}

/*
 * Test an object exported after it was written, the way the PRIME ioctl does
 * it. The helpers learn about an export (obj->dma_buf) only when they next
 * look at the object: until then the count still includes it. The test case
 * succeeds if a scan that asks for everything does not evict it nor call the
 * driver's hook, moves it to the pinned LRU with its pages, and the count
 * excludes it from then on.
 */
static void drm_test_gem_shmem_shrinker_exported_count(struct kunit *test)
{
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker_scan_stats stats;
	struct shrinker_test_bo *bo;
	unsigned long ret;

	bo = shrinker_test_bo_create(test, 0);
	shrinker_test_bo_export(test, bo);

	/* The first scan may only clear the mark of the recent use. */
	drm_gem_shrinker_shrink(st->gs, ULONG_MAX, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, stats.freed, 0);
	ret = drm_gem_shrinker_shrink(st->gs, ULONG_MAX, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, ret, SHRINK_STOP);
	KUNIT_EXPECT_EQ(test, stats.freed, 0);
	KUNIT_EXPECT_EQ(test, bo->evict_calls, 0);
	KUNIT_EXPECT_NOT_NULL(test, bo->shmem.pages);
	KUNIT_EXPECT_PTR_EQ(test, shrinker_test_lru(bo), &st->gs->pinned);
	KUNIT_EXPECT_EQ(test, drm_gem_shrinker_count(st->gs, GFP_KERNEL), SHRINK_EMPTY);
}

struct shrinker_test_fence {
	struct dma_fence base;
	/* The fence lock of @base */
	spinlock_t lock;
	struct delayed_work signal_work;
};

static const char *shrinker_test_fence_name(struct dma_fence *fence)
{
	return "drm-gem-shmem-shrinker-test";
}

static const struct dma_fence_ops shrinker_test_fence_ops = {
	.get_driver_name = shrinker_test_fence_name,
	.get_timeline_name = shrinker_test_fence_name,
};

static void shrinker_test_fence_signal_work(struct work_struct *work)
{
	struct shrinker_test_fence *fence =
		container_of(to_delayed_work(work), struct shrinker_test_fence, signal_work);

	dma_fence_signal(&fence->base);
}

static void shrinker_test_fence_release(void *data)
{
	struct shrinker_test_fence *fence = data;

	cancel_delayed_work_sync(&fence->signal_work);
	dma_fence_signal(&fence->base);
	dma_fence_put(&fence->base);
}

/* Make @bo busy: add an unsignalled fence of the weakest usage to its resv */
static struct shrinker_test_fence *shrinker_test_add_fence(struct kunit *test,
							   struct shrinker_test_bo *bo)
{
	struct dma_resv *resv = bo->shmem.base.resv;
	struct shrinker_test_fence *fence;
	int ret;

	fence = kzalloc(sizeof(*fence), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fence);

	spin_lock_init(&fence->lock);
	INIT_DELAYED_WORK(&fence->signal_work, shrinker_test_fence_signal_work);
	dma_fence_init(&fence->base, &shrinker_test_fence_ops, &fence->lock,
		       dma_fence_context_alloc(1), 1);

	ret = kunit_add_action_or_reset(test, shrinker_test_fence_release, fence);
	KUNIT_ASSERT_EQ(test, ret, 0);

	dma_resv_lock(resv, NULL);
	ret = dma_resv_reserve_fences(resv, 1);
	if (!ret)
		dma_resv_add_fence(resv, &fence->base, DMA_RESV_USAGE_BOOKKEEP);
	dma_resv_unlock(resv);
	KUNIT_ASSERT_EQ(test, ret, 0);

	return fence;
}

/*
 * Test busy objects: one object has an unsignalled BOOKKEEP fence, another
 * is idle. The test case succeeds if a scan that may not block evicts only
 * the idle object, waits for nothing and counts the busy one as remaining;
 * a blocking scan whose wait budget runs out waits once, within a bounded
 * time, frees nothing and asks to be called again (returns 0, not
 * SHRINK_STOP); and a blocking scan during which the fence signals evicts
 * the busy object in the busy eviction stage, after which its pattern
 * comes back.
 */
static void drm_test_gem_shmem_shrinker_busy(struct kunit *test)
{
	const gfp_t nowait = GFP_KERNEL & ~__GFP_DIRECT_RECLAIM;
	const struct shrinker_test_path *path = &shrinker_test_paths[TEST_PATH_SWAPIN];
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker *gs = st->gs;
	struct drm_gem_shrinker_scan_stats stats;
	struct shrinker_test_bo *busy, *idle;
	struct shrinker_test_fence *fence;
	struct shrinker_test_use use;
	unsigned long freed, start;
	u8 *buf;
	int ret;

	buf = shrinker_test_buf(test, TEST_PAGES);
	busy = shrinker_test_bo_create(test, 0);
	idle = shrinker_test_bo_create(test, 1);
	fence = shrinker_test_add_fence(test, busy);

	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, nowait, &stats);
	KUNIT_EXPECT_EQ(test, freed, bo_pages(idle));
	KUNIT_EXPECT_EQ(test, stats.waited, 0);
	KUNIT_EXPECT_EQ(test, stats.remaining, bo_pages(busy));
	KUNIT_EXPECT_FALSE(test, stats.stages_run & BIT(DRM_GEM_SHRINKER_EVICT_BUSY));
	shrinker_test_expect_evicted(test, idle, 1);
	shrinker_test_expect_resident(test, busy, &gs->willneed);

	drm_gem_shrinker_set_wait_jiffies(gs, msecs_to_jiffies(20));
	start = jiffies;
	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, freed, 0);
	KUNIT_EXPECT_EQ(test, stats.waited, 1);
	KUNIT_EXPECT_GE(test, stats.remaining, bo_pages(busy));
	KUNIT_EXPECT_TRUE(test, time_before(jiffies, start + HZ));
	KUNIT_EXPECT_FALSE(test, dma_fence_is_signaled(&fence->base));
	shrinker_test_expect_resident(test, busy, &gs->willneed);

	drm_gem_shrinker_set_wait_jiffies(gs, 10 * HZ);
	schedule_delayed_work(&fence->signal_work, msecs_to_jiffies(100));
	start = jiffies;
	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, freed, bo_pages(busy));
	KUNIT_EXPECT_EQ(test, stats.waited, 1);
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_EVICT_BUSY], bo_pages(busy));
	KUNIT_EXPECT_TRUE(test, time_before(jiffies, start + 10 * HZ));
	KUNIT_EXPECT_TRUE(test, dma_fence_is_signaled(&fence->base));
	shrinker_test_expect_evicted(test, busy, 1);

	use = (struct shrinker_test_use){ .bo = busy, .buf = buf };
	ret = path->get(&use);
	KUNIT_ASSERT_EQ(test, ret, 0);
	shrinker_test_expect_pattern(test, busy, buf, path->name);
}

/*
 * Test that using an object makes it the most recently used one. Several
 * idle objects are made resident in order, then the first one, the least
 * recently used, is used with drm_gem_shmem_swapin_locked(), which only marks
 * a resident object as referenced. The test case succeeds if a scan for the
 * pages of all the others evicts exactly those, giving the used object a
 * second chance: it stays resident, at the tail of the WILLNEED LRU, with its
 * mark cleared.
 */
static void drm_test_gem_shmem_shrinker_lru_bump(struct kunit *test)
{
	const struct shrinker_test_path *path = &shrinker_test_paths[TEST_PATH_SWAPIN];
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker *gs = st->gs;
	struct shrinker_test_bo *bos[TEST_OBJECTS];
	struct shrinker_test_use use;
	unsigned long others = 0, freed;
	unsigned int i;
	u8 *buf;
	int ret;

	buf = shrinker_test_buf(test, TEST_PAGES);
	for (i = 0; i < TEST_OBJECTS; i++) {
		bos[i] = shrinker_test_bo_create(test, i);
		if (i)
			others += bo_pages(bos[i]);
	}
	KUNIT_ASSERT_PTR_EQ(test, shrinker_test_lru_tail(st->drm, &gs->willneed),
			    &bos[TEST_OBJECTS - 1]->shmem.base);

	/* bos[0] is the least recently used; use it */
	shrinker_test_age(st);
	use = (struct shrinker_test_use){ .bo = bos[0], .buf = buf };
	ret = path->get(&use);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, READ_ONCE(bos[0]->shmem.base.lru_referenced));

	freed = drm_gem_shrinker_shrink(gs, others, GFP_KERNEL, NULL);
	KUNIT_EXPECT_EQ(test, freed, others);
	/* The scan gave it a second chance: to the tail, mark cleared */
	KUNIT_EXPECT_PTR_EQ(test, shrinker_test_lru_tail(st->drm, &gs->willneed),
			    &bos[0]->shmem.base);
	KUNIT_EXPECT_FALSE(test, READ_ONCE(bos[0]->shmem.base.lru_referenced));

	shrinker_test_expect_resident(test, bos[0], &gs->willneed);
	for (i = 1; i < TEST_OBJECTS; i++)
		shrinker_test_expect_evicted(test, bos[i], 1);
}

/*
 * Test the driver's purge and evict hooks. Two objects (one
 * WILLNEED, one DONTNEED) let the hook succeed, two others make it decline
 * with -EBUSY. The test case succeeds if the hook runs once for each
 * reclaimed object while its pages are still present, the reclaimed ones are
 * evicted or purged, the declined ones stay resident on their LRU with their
 * pattern, the scan counts every declined call and their pages as
 * remaining, and once the hook agrees, a second scan reclaims them too.
 */
static void drm_test_gem_shmem_shrinker_evict_hook(struct kunit *test)
{
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker *gs = st->gs;
	struct shrinker_test_bo *go_w, *go_d, *keep_w, *keep_d;
	struct drm_gem_shrinker_scan_stats stats;
	unsigned long freed;

	go_w = shrinker_test_bo_create(test, 0);
	go_d = shrinker_test_bo_create(test, 1);
	keep_w = shrinker_test_bo_create(test, 2);
	keep_d = shrinker_test_bo_create(test, 3);
	KUNIT_ASSERT_EQ(test, shrinker_test_madvise(go_d, DRM_GEM_SHMEM_MADV_DONTNEED), 1);
	KUNIT_ASSERT_EQ(test, shrinker_test_madvise(keep_d, DRM_GEM_SHMEM_MADV_DONTNEED), 1);
	keep_w->evict_ret = -EBUSY;
	keep_d->evict_ret = -EBUSY;

	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, freed, bo_pages(go_w) + bo_pages(go_d));

	shrinker_test_expect_evicted(test, go_w, 1);
	KUNIT_EXPECT_EQ(test, go_d->shmem.madv, DRM_GEM_SHMEM_MADV_PURGED);
	KUNIT_EXPECT_NULL(test, go_d->shmem.pages);
	KUNIT_EXPECT_EQ(test, go_w->evict_calls, 1);
	KUNIT_EXPECT_EQ(test, go_d->evict_calls, 1);
	KUNIT_EXPECT_EQ(test, go_w->purge_calls, 0);
	KUNIT_EXPECT_EQ(test, go_d->purge_calls, 1);
	KUNIT_EXPECT_EQ(test, go_w->evict_calls_unbacked + go_d->evict_calls_unbacked, 0);

	shrinker_test_expect_resident(test, keep_w, &gs->willneed);
	shrinker_test_expect_resident(test, keep_d, &gs->dontneed);
	KUNIT_EXPECT_EQ(test, keep_d->shmem.madv, DRM_GEM_SHMEM_MADV_DONTNEED);
	KUNIT_EXPECT_GE(test, keep_w->evict_calls, 1);
	KUNIT_EXPECT_GE(test, keep_d->evict_calls, 1);
	KUNIT_EXPECT_EQ(test, keep_w->evict_calls_unbacked + keep_d->evict_calls_unbacked, 0);
	KUNIT_EXPECT_EQ(test, stats.declined, keep_w->evict_calls + keep_d->evict_calls);
	KUNIT_EXPECT_GE(test, stats.remaining, bo_pages(keep_w) + bo_pages(keep_d));

	keep_w->evict_ret = 0;
	keep_d->evict_ret = 0;
	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, freed, bo_pages(keep_w) + bo_pages(keep_d));
	KUNIT_EXPECT_EQ(test, stats.declined, 0);
	shrinker_test_expect_evicted(test, keep_w, 1);
	KUNIT_EXPECT_EQ(test, keep_d->shmem.madv, DRM_GEM_SHMEM_MADV_PURGED);
}

/*
 * Test a CPU fault on an evicted object whose swap-in fails: the handler
 * is called as the page-fault code calls it, with the first allocation
 * failure point of the swap-in injected (current->fail_nth = 1). The test
 * case succeeds if it returns VM_FAULT_SIGBUS, not VM_FAULT_OOM (which a
 * user fault outside a memcg OOM retries for ever), the object stays
 * evicted with its counts, and the next access reads the contents back.
 */
static void drm_test_gem_shmem_shrinker_fault_sigbus(struct kunit *test)
{
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker_scan_stats stats;
	struct vm_area_struct *vma;
	struct shrinker_test_bo *bo;
	struct mm_struct *mm;
	unsigned long addr;
	vm_fault_t fault = 0;
	u8 *buf;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_FAULT_INJECTION");

	bo = shrinker_test_bo_create(test, 0);
	shrinker_test_bo_mmap(test, bo);
	KUNIT_ASSERT_EQ(test, shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats),
			bo_pages(bo));
	shrinker_test_expect_evicted(test, bo, 2);

	mm = current->mm;
	addr = (unsigned long)bo->uptr;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma) {
		struct vm_fault vmf = {
			.vma = vma,
			.address = addr,
			.pgoff = vma->vm_pgoff,
			.gfp_mask = GFP_KERNEL,
			.flags = FAULT_FLAG_USER,
		};

		current->fail_nth = 1;
		fault = vma->vm_ops->fault(&vmf);
		current->fail_nth = 0;
	}
	mmap_read_unlock(mm);
	KUNIT_ASSERT_NOT_NULL(test, vma);
	KUNIT_EXPECT_EQ(test, (__force unsigned int)fault,
			(__force unsigned int)VM_FAULT_SIGBUS);
	shrinker_test_expect_evicted(test, bo, 2);

	buf = shrinker_test_buf(test, bo_pages(bo));
	KUNIT_ASSERT_EQ(test, copy_from_user(buf, bo->uptr, bo_size(bo)), 0);
	shrinker_test_expect_pattern(test, bo, buf, "after the failed fault");
}

/*
 * Test the fdinfo status of an object through its life. The test case
 * succeeds if it is resident while its pages are in memory, neither
 * resident nor purgeable while evicted, resident and purgeable once
 * marked DONTNEED, and neither once purged.
 */
static void drm_test_gem_shmem_shrinker_status(struct kunit *test)
{
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker_scan_stats stats;
	struct shrinker_test_bo *bo;
	struct drm_gem_object *obj;

	bo = shrinker_test_bo_create(test, 0);
	obj = &bo->shmem.base;
	KUNIT_EXPECT_EQ(test, drm_gem_shmem_object_status(obj), DRM_GEM_OBJECT_RESIDENT);

	shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	shrinker_test_expect_evicted(test, bo, 1);
	KUNIT_EXPECT_EQ(test, drm_gem_shmem_object_status(obj), 0);

	dma_resv_lock(obj->resv, NULL);
	KUNIT_EXPECT_EQ(test, drm_gem_shmem_swapin_locked(&bo->shmem), 0);
	dma_resv_unlock(obj->resv);
	shrinker_test_expect_resident(test, bo, &st->gs->willneed);
	KUNIT_EXPECT_EQ(test, drm_gem_shmem_object_status(obj), DRM_GEM_OBJECT_RESIDENT);

	KUNIT_EXPECT_EQ(test, shrinker_test_madvise(bo, DRM_GEM_SHMEM_MADV_DONTNEED), 1);
	KUNIT_EXPECT_TRUE(test, drm_gem_shmem_object_status(obj) & DRM_GEM_OBJECT_RESIDENT);
	KUNIT_EXPECT_TRUE(test, drm_gem_shmem_object_status(obj) & DRM_GEM_OBJECT_PURGEABLE);

	shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, bo->shmem.madv, DRM_GEM_SHMEM_MADV_PURGED);
	KUNIT_EXPECT_EQ(test, drm_gem_shmem_object_status(obj), 0);
}

/*
 * Test the unlocked drm_gem_shmem_get_pages_sgt() on a shrinker device: the
 * table of a pinned object is safe to use after the lock is dropped, that of
 * an unpinned object is not. The test case succeeds if both calls return
 * the object's table, and only the call for the unpinned object warns (the
 * warning is expected in mk/kunit-expected-warnings).
 */
static void drm_test_gem_shmem_shrinker_sgt_unlocked(struct kunit *test)
{
	struct shrinker_test_bo *pinned, *unpinned;
	struct sg_table *sgt;
	int ret;

	pinned = shrinker_test_bo_create(test, 0);
	unpinned = shrinker_test_bo_create(test, 1);
	ret = drm_gem_shmem_pin(&pinned->shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kunit_add_action_or_reset(test, drm_gem_shmem_unpin_wrapper,
					&pinned->shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	sgt = drm_gem_shmem_get_pages_sgt(&pinned->shmem);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_EXPECT_PTR_EQ(test, sgt, pinned->shmem.sgt);

	sgt = drm_gem_shmem_get_pages_sgt(&unpinned->shmem);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_EXPECT_PTR_EQ(test, sgt, unpinned->shmem.sgt);
}

/*
 * Test an evicted object whose last user goes (an munmap after the
 * eviction, a driver dropping its GPU mapping). Its contents are still in
 * the shmem file (in swap, or in the page cache of this test machine). The
 * test case succeeds if it stays evicted and on the evicted LRU, and once
 * marked DONTNEED a scan purges it and empties the shmem file.
 */
static void drm_test_gem_shmem_shrinker_evicted_last_use(struct kunit *test)
{
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker_scan_stats stats;
	struct address_space *mapping;
	struct shrinker_test_bo *bo;
	unsigned long freed;

	bo = shrinker_test_bo_create(test, 0);
	mapping = bo->shmem.base.filp->f_mapping;
	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, freed, bo_pages(bo));
	shrinker_test_expect_evicted(test, bo, 1);

	kunit_remove_action(test, shrinker_test_put_pages_action, &bo->shmem);
	shrinker_test_put_pages_action(&bo->shmem);
	shrinker_test_expect_evicted(test, bo, 0);
	KUNIT_EXPECT_EQ(test, mapping->nrpages, bo_pages(bo));

	KUNIT_EXPECT_EQ(test, shrinker_test_madvise(bo, DRM_GEM_SHMEM_MADV_DONTNEED), 1);
	KUNIT_EXPECT_PTR_EQ(test, shrinker_test_lru(bo), &st->gs->dontneed);
	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, freed, bo_pages(bo));
	KUNIT_EXPECT_EQ(test, bo->shmem.madv, DRM_GEM_SHMEM_MADV_PURGED);
	KUNIT_EXPECT_NULL(test, shrinker_test_lru(bo));
	KUNIT_EXPECT_EQ(test, mapping->nrpages, 0);
}

static const struct address_space_operations *shrinker_test_shmem_aops;

/*
 * shmem's writepage, then a failure, and another task that takes the folio
 * lock the moment writepage has dropped it (the test itself, for the first
 * folio): what may happen to a folio that writepage unlocked.
 */

static int shrinker_test_writepage(struct page *page,
				   struct writeback_control *wbc)
{
	struct kunit *test = kunit_get_current_test();
	struct folio *folio = page_folio(page);
	struct shrinker_test *st;
	int ret;

	ret = shrinker_test_shmem_aops->writepage(page, wbc);
	/* Not the test thread, e.g. kswapd: shmem's writepage only */
	if (!test)
		return ret;
	st = test->priv;

	/* Without swap shmem keeps the folio locked; with an error it must not. */
	if (ret == AOP_WRITEPAGE_ACTIVATE)
		folio_unlock(folio);
	st->writepages++;
	if (!st->grabbed && folio_trylock(folio)) {
		folio_get(folio);
		st->grabbed = folio;
	}

	return -EIO;
}

/* What the eviction and the writeback of a shmem file need of its operations */
static const struct address_space_operations shrinker_test_aops = {
	.writepage = shrinker_test_writepage,
	.dirty_folio = noop_dirty_folio,
};

static void shrinker_test_unwrap_aops(void *arg)
{
	struct shrinker_test *st = arg;

	if (st->grabbed) {
		if (folio_test_locked(st->grabbed))
			folio_unlock(st->grabbed);
		folio_put(st->grabbed);
		st->grabbed = NULL;
	}
	st->wrapped->a_ops = st->real_aops;
}

/*
 * Test the writeback that kswapd asks for after an eviction against the
 * ->writepage contract: the folio is still locked only after
 * AOP_WRITEPAGE_ACTIVATE, and unlocked after success and after errors. The
 * writepage of the object's shmem file fails with -EIO, and another task
 * (the test) locks the first folio as soon as writepage unlocked it. The
 * test case succeeds if the eviction with DRM_GEM_LRU_SCAN_WRITEBACK tries
 * to write every page, the other task still holds its folio lock afterwards,
 * and the contents come back.
 */
static void drm_test_gem_shmem_shrinker_writeback_error(struct kunit *test)
{
	const struct shrinker_test_path *path = &shrinker_test_paths[TEST_PATH_SWAPIN];
	struct drm_gem_lru_scan_ctx ctx = {
		.flags = DRM_GEM_LRU_SCAN_CAN_SWAP | DRM_GEM_LRU_SCAN_WRITEBACK,
	};
	struct shrinker_test *st = test->priv;
	struct shrinker_test_use use = { };
	struct drm_gem_object *obj;
	struct shrinker_test_bo *bo;
	int ret;

	use.buf = shrinker_test_buf(test, TEST_PAGES);
	bo = shrinker_test_bo_create(test, 0);
	use.bo = bo;
	obj = &bo->shmem.base;

	st->wrapped = obj->filp->f_mapping;
	st->real_aops = st->wrapped->a_ops;
	KUNIT_ASSERT_NOT_NULL(test, st->real_aops->writepage);
	shrinker_test_shmem_aops = st->real_aops;
	st->wrapped->a_ops = &shrinker_test_aops;
	ret = kunit_add_action_or_reset(test, shrinker_test_unwrap_aops, st);
	KUNIT_ASSERT_EQ(test, ret, 0);

	dma_resv_lock(obj->resv, NULL);
	ret = st->gs->funcs->evict(obj, &ctx);
	dma_resv_unlock(obj->resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
	shrinker_test_expect_evicted(test, bo, 1);

	KUNIT_EXPECT_EQ(test, st->writepages, bo_pages(bo));
	KUNIT_ASSERT_NOT_NULL(test, st->grabbed);
	KUNIT_EXPECT_TRUE_MSG(test, folio_test_locked(st->grabbed),
			      "the writeback unlocked a folio that writepage had unlocked");
	folio_unlock(st->grabbed);
	/* shmem only reads folios of a mapping with its own operations. */
	kunit_release_action(test, shrinker_test_unwrap_aops, st);

	ret = path->get(&use);
	KUNIT_ASSERT_EQ(test, ret, 0);
	shrinker_test_expect_pattern(test, bo, use.buf, "writeback");
	shrinker_test_put(path, &use);
}

/*
 * Test the swap-in counter. The test case succeeds if marking an evicted
 * object DONTNEED and WILLNEED again, which moves it between LRUs, counts
 * nothing, while getting its pages back, also from the DONTNEED LRU, adds
 * them to gs->swapin_pages once, and using the resident object again does
 * not.
 */
static void drm_test_gem_shmem_shrinker_swapin_count(struct kunit *test)
{
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker *gs = st->gs;
	struct drm_gem_shmem_object *shmem;
	struct shrinker_test_bo *bo;
	long swapin;
	int ret;

	bo = shrinker_test_bo_create(test, 0);
	shmem = &bo->shmem;
	shrinker_test_evict(test, bo, 1);
	swapin = atomic_long_read(&gs->swapin_pages);

	KUNIT_EXPECT_EQ(test, shrinker_test_madvise(bo, DRM_GEM_SHMEM_MADV_DONTNEED), 1);
	KUNIT_EXPECT_PTR_EQ(test, shrinker_test_lru(bo), &gs->dontneed);
	KUNIT_EXPECT_EQ(test, shrinker_test_madvise(bo, DRM_GEM_SHMEM_MADV_WILLNEED), 1);
	KUNIT_EXPECT_PTR_EQ(test, shrinker_test_lru(bo), &gs->evicted);
	KUNIT_EXPECT_EQ(test, shrinker_test_madvise(bo, DRM_GEM_SHMEM_MADV_DONTNEED), 1);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gs->swapin_pages), swapin);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_swapin_locked(shmem);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_NOT_NULL(test, shmem->pages);
	ret = drm_gem_shmem_swapin_locked(shmem);
	KUNIT_EXPECT_EQ(test, ret, 0);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_FALSE(test, shmem->evicted);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&gs->swapin_pages) - swapin,
			(long)bo_pages(bo));
}

/*
 * Test the context the driver's hooks get, and a driver whose teardown is
 * asynchronous. The test case succeeds if in the idle stages the hooks may
 * not wait (drm_gem_lru_scan_timeout() is 0, DRM_GEM_LRU_SCAN_WAIT unset),
 * see whether the scan may block and evict, the purge hook runs for DONTNEED
 * objects and the evict hook for WILLNEED ones, and the scan_end hook once
 * after them; a two-phase driver's object
 * is declined by the first scan and evicted by the next; and in the busy
 * stage of a scan with a budget of 10 s, the hook of an object whose fence
 * signalled during the scan gets DRM_GEM_LRU_SCAN_WAIT and a timeout that is
 * left of that budget.
 */
static void drm_test_gem_shmem_shrinker_hook_context(struct kunit *test)
{
	struct shrinker_test *st = test->priv;
	struct drm_gem_shrinker *gs = st->gs;
	struct shrinker_test_bo *w, *d, *async, *busy;
	struct drm_gem_shrinker_scan_stats stats;
	struct shrinker_test_fence *fence;
	unsigned long freed;

	w = shrinker_test_bo_create(test, 0);
	d = shrinker_test_bo_create(test, 1);
	KUNIT_ASSERT_EQ(test, shrinker_test_madvise(d, DRM_GEM_SHMEM_MADV_DONTNEED), 1);

	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, freed, bo_pages(w) + bo_pages(d));
	/* Once per scan, after the hooks, e.g. to notify the device */
	KUNIT_EXPECT_EQ(test, st->scan_end_calls, 1);
	KUNIT_EXPECT_EQ(test, w->purge_calls, 0);
	KUNIT_EXPECT_EQ(test, w->evict_calls, 1);
	KUNIT_EXPECT_EQ(test, d->purge_calls, 1);
	KUNIT_EXPECT_EQ(test, d->evict_calls, 1);
	KUNIT_EXPECT_EQ(test, w->hook_timeout, 0);
	KUNIT_EXPECT_EQ(test, d->hook_timeout, 0);
	KUNIT_EXPECT_FALSE(test, w->hook_flags & DRM_GEM_LRU_SCAN_WAIT);
	KUNIT_EXPECT_TRUE(test, w->hook_flags & DRM_GEM_LRU_SCAN_CAN_BLOCK);
	KUNIT_EXPECT_TRUE(test, w->hook_flags & DRM_GEM_LRU_SCAN_CAN_SWAP);

	async = shrinker_test_bo_create(test, 2);
	async->two_phase = true;
	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL,
				     GFP_KERNEL & ~__GFP_DIRECT_RECLAIM, &stats);
	KUNIT_EXPECT_EQ(test, freed, 0);
	KUNIT_EXPECT_EQ(test, stats.declined, 1);
	KUNIT_EXPECT_FALSE(test, async->hook_flags & DRM_GEM_LRU_SCAN_CAN_BLOCK);
	shrinker_test_expect_resident(test, async, &gs->willneed);
	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, freed, bo_pages(async));
	KUNIT_EXPECT_EQ(test, async->evict_calls, 2);
	shrinker_test_expect_evicted(test, async, 1);

	busy = shrinker_test_bo_create(test, 3);
	fence = shrinker_test_add_fence(test, busy);
	drm_gem_shrinker_set_wait_jiffies(gs, 10 * HZ);
	schedule_delayed_work(&fence->signal_work, msecs_to_jiffies(20));
	freed = shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, &stats);
	KUNIT_EXPECT_EQ(test, freed, bo_pages(busy));
	KUNIT_EXPECT_EQ(test, stats.stage_freed[DRM_GEM_SHRINKER_EVICT_BUSY], bo_pages(busy));
	KUNIT_EXPECT_TRUE(test, busy->hook_flags & DRM_GEM_LRU_SCAN_WAIT);
	KUNIT_EXPECT_GT(test, busy->hook_timeout, 0);
	KUNIT_EXPECT_LE(test, busy->hook_timeout, 10 * HZ);
}

struct shrinker_test_race;

struct shrinker_test_racer {
	struct shrinker_test_race *race;
	u8 *buf;
};

struct shrinker_test_race {
	struct drm_gem_shrinker *gs;
	struct shrinker_test_bo *bos[RACE_OBJECTS];
	struct shrinker_test_bo *volatile_bos[RACE_VOLATILE];
	struct shrinker_test_racer racers[RACE_USERS];
	struct task_struct *tasks[RACE_USERS + 1];
	unsigned int nr_tasks;
	unsigned long total_pages;
	unsigned long deadline;
	atomic_long_t verified;
	atomic_long_t scans;
	atomic_t errors;
	char error[160];
};

static __printf(2, 3) void shrinker_test_race_error(struct shrinker_test_race *race,
						    const char *fmt, ...)
{
	va_list args;

	if (atomic_inc_return(&race->errors) > 1)
		return;

	va_start(args, fmt);
	vsnprintf(race->error, sizeof(race->error), fmt, args);
	va_end(args);
}

static bool shrinker_test_race_running(struct shrinker_test_race *race)
{
	return !kthread_should_stop() && time_before(jiffies, race->deadline);
}

static void shrinker_test_race_check(struct shrinker_test_race *race,
				     struct shrinker_test_bo *bo, const u8 *buf,
				     const char *what)
{
	long off = shrinker_test_mismatch(bo, buf);

	if (off < 0)
		atomic_long_inc(&race->verified);
	else
		shrinker_test_race_error(race, "object %u, %s: byte %ld is 0x%02x, expected 0x%02x",
					 bo->index, what, off, buf[off], bo->pattern[off]);
}

static void shrinker_test_race_path(struct shrinker_test_racer *racer,
				    struct shrinker_test_bo *bo,
				    const struct shrinker_test_path *path)
{
	struct shrinker_test_use use = { .bo = bo, .buf = racer->buf };
	int ret;

	ret = path->get(&use);
	if (ret == -EAGAIN)
		return;
	if (ret) {
		shrinker_test_race_error(racer->race, "object %u, %s: error %d",
					 bo->index, path->name, ret);
		return;
	}

	shrinker_test_race_check(racer->race, bo, racer->buf, path->name);
	shrinker_test_put(path, &use);
}

/*
 * madvise() on an object that may be purged: when the object is retained,
 * its pages must come back with the pattern, otherwise they must not.
 */
static void shrinker_test_race_madvise(struct shrinker_test_racer *racer,
				       struct shrinker_test_bo *bo, int madv)
{
	struct drm_gem_shmem_object *shmem = &bo->shmem;
	int retained, ret;

	dma_resv_lock(shmem->base.resv, NULL);
	retained = drm_gem_shmem_madvise_locked(shmem, madv);
	ret = drm_gem_shmem_get_pages_locked(shmem);
	if (!ret) {
		shrinker_test_read_locked(bo, racer->buf);
		drm_gem_shmem_put_pages_locked(shmem);
	}
	dma_resv_unlock(shmem->base.resv);

	if ((retained && ret) || (!retained && ret != -EINVAL))
		shrinker_test_race_error(racer->race,
					 "object %u, madvise %d: retained %d, get_pages %d",
					 bo->index, madv, retained, ret);
	else if (!ret)
		shrinker_test_race_check(racer->race, bo, racer->buf, "madvise");
}

/* A user: random objects, random paths, WILLNEED madvise; DONTNEED only on volatile objects */
static int shrinker_test_race_user(void *data)
{
	const unsigned int nr_paths = ARRAY_SIZE(shrinker_test_paths);
	struct shrinker_test_racer *racer = data;
	struct shrinker_test_race *race = racer->race;

	while (shrinker_test_race_running(race)) {
		unsigned int op = get_random_u32_below(nr_paths + 2);
		struct shrinker_test_bo *bo;
		int madv;

		if (op < nr_paths) {
			bo = race->bos[get_random_u32_below(RACE_OBJECTS)];
			if (!shrinker_test_paths[op].needs_mm)
				shrinker_test_race_path(racer, bo, &shrinker_test_paths[op]);
		} else if (op == nr_paths) {
			bo = race->bos[get_random_u32_below(RACE_OBJECTS)];
			shrinker_test_race_madvise(racer, bo, DRM_GEM_SHMEM_MADV_WILLNEED);
		} else {
			bo = race->volatile_bos[get_random_u32_below(RACE_VOLATILE)];
			madv = get_random_u32_below(2) ? DRM_GEM_SHMEM_MADV_DONTNEED :
							 DRM_GEM_SHMEM_MADV_WILLNEED;
			shrinker_test_race_madvise(racer, bo, madv);
		}

		cond_resched();
	}

	return 0;
}

/* Memory reclaim: scans for a random number of pages, continuously */
static int shrinker_test_race_shrinker(void *data)
{
	struct shrinker_test_race *race = data;

	while (shrinker_test_race_running(race)) {
		unsigned long nr = get_random_u32_below(race->total_pages) + 1;

		drm_gem_shrinker_shrink(race->gs, nr, GFP_KERNEL, NULL);
		atomic_long_inc(&race->scans);
		cond_resched();
	}

	return 0;
}

static void shrinker_test_race_stop(void *data)
{
	struct shrinker_test_race *race = data;

	while (race->nr_tasks)
		kthread_stop_put(race->tasks[--race->nr_tasks]);
}

static void shrinker_test_race_start(struct kunit *test,
				     struct shrinker_test_race *race)
{
	struct task_struct *task;
	unsigned int i;
	int ret;

	ret = kunit_add_action_or_reset(test, shrinker_test_race_stop, race);
	KUNIT_ASSERT_EQ(test, ret, 0);

	for (i = 0; i <= RACE_USERS; i++) {
		if (i < RACE_USERS)
			task = kthread_create(shrinker_test_race_user, &race->racers[i],
					      "drm-shmem-user-%u", i);
		else
			task = kthread_create(shrinker_test_race_shrinker, race,
					      "drm-shmem-shrink");
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);

		get_task_struct(task);
		race->tasks[race->nr_tasks++] = task;
	}

	for (i = 0; i < race->nr_tasks; i++)
		wake_up_process(race->tasks[i]);
}

/*
 * Race users of objects against a shrinker that scans continuously. Four
 * threads pin, vmap, get the sg_table of, swap in, and madvise WILLNEED
 * random objects, checking the pattern every time they have the pages; the
 * test thread reads random objects through their CPU mappings. Two more
 * objects are madvised DONTNEED and WILLNEED at random and may be purged.
 * The test case succeeds if every access gets the pages and the full
 * pattern (or, for a purged object, no pages), objects were evicted and
 * swapped in during the race, and after a final scan that asks for
 * everything each object is evicted with its initial counts and its full
 * pattern comes back, or is purged and empty.
 */
static void drm_test_gem_shmem_shrinker_race(struct kunit *test)
{
	const struct shrinker_test_path *fault = &shrinker_test_paths[TEST_PATH_FAULT];
	const struct shrinker_test_path *swapin = &shrinker_test_paths[TEST_PATH_SWAPIN];
	struct shrinker_test *st = test->priv;
	unsigned int uses[RACE_OBJECTS], i;
	struct shrinker_test_race *race;
	unsigned long faults = 0;
	long evicted, swapped;
	u8 *buf;
	int ret;

	race = kunit_kzalloc(test, sizeof(*race), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, race);
	race->gs = st->gs;
	buf = shrinker_test_buf(test, TEST_PAGES);

	for (i = 0; i < RACE_OBJECTS; i++) {
		race->bos[i] = shrinker_test_bo_create(test, i);
		shrinker_test_bo_mmap(test, race->bos[i]);
		uses[i] = use_count(&race->bos[i]->shmem);
		race->total_pages += bo_pages(race->bos[i]);
	}
	for (i = 0; i < RACE_VOLATILE; i++) {
		race->volatile_bos[i] = shrinker_test_bo_create(test, RACE_OBJECTS + i);
		race->total_pages += bo_pages(race->volatile_bos[i]);
	}
	for (i = 0; i < RACE_USERS; i++) {
		race->racers[i].race = race;
		race->racers[i].buf = shrinker_test_buf(test, TEST_PAGES);
	}

	evicted = atomic_long_read(&st->gs->evicted_pages);
	swapped = atomic_long_read(&st->gs->swapin_pages);
	race->deadline = jiffies + msecs_to_jiffies(RACE_MS);
	shrinker_test_race_start(test, race);

	while (time_before(jiffies, race->deadline)) {
		struct shrinker_test_bo *bo = race->bos[get_random_u32_below(RACE_OBJECTS)];
		struct shrinker_test_use use = { .bo = bo, .buf = buf };

		ret = fault->get(&use);
		if (ret)
			shrinker_test_race_error(race, "object %u, %s: error %d",
						 bo->index, fault->name, ret);
		else
			shrinker_test_race_check(race, bo, buf, fault->name);
		faults++;
		cond_resched();
	}

	kunit_release_action(test, shrinker_test_race_stop, race);

	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&race->errors), 0, "first error: %s", race->error);
	KUNIT_EXPECT_GT(test, faults, 0);
	KUNIT_EXPECT_GT(test, atomic_long_read(&race->verified), (long)faults);
	KUNIT_EXPECT_GT(test, atomic_long_read(&race->scans), 0);
	KUNIT_EXPECT_GT(test, atomic_long_read(&st->gs->evicted_pages), evicted);
	KUNIT_EXPECT_GT(test, atomic_long_read(&st->gs->swapin_pages), swapped);
	kunit_info(test, "%ld verified accesses (%lu CPU faults), %ld scans\n",
		   atomic_long_read(&race->verified), faults, atomic_long_read(&race->scans));

	shrinker_test_shrink(st, TEST_SHRINK_ALL, GFP_KERNEL, NULL);

	for (i = 0; i < RACE_OBJECTS; i++) {
		struct shrinker_test_use use = { .bo = race->bos[i], .buf = buf };

		shrinker_test_expect_evicted(test, race->bos[i], uses[i]);
		ret = swapin->get(&use);
		KUNIT_EXPECT_EQ(test, ret, 0);
		if (!ret)
			shrinker_test_expect_pattern(test, race->bos[i], buf, swapin->name);
	}

	for (i = 0; i < RACE_VOLATILE; i++) {
		struct shrinker_test_bo *bo = race->volatile_bos[i];
		struct shrinker_test_use use = { .bo = bo, .buf = buf };

		if (!shrinker_test_madvise(bo, DRM_GEM_SHMEM_MADV_WILLNEED)) {
			KUNIT_EXPECT_NULL(test, bo->shmem.pages);
			KUNIT_EXPECT_NULL(test, shrinker_test_lru(bo));
			KUNIT_EXPECT_TRUE(test, mapping_empty(bo->shmem.base.filp->f_mapping));
			continue;
		}

		KUNIT_EXPECT_EQ(test, use_count(&bo->shmem), 1);
		KUNIT_EXPECT_EQ(test, pin_count(&bo->shmem), 0);
		ret = swapin->get(&use);
		KUNIT_EXPECT_EQ(test, ret, 0);
		if (!ret)
			shrinker_test_expect_pattern(test, bo, buf, swapin->name);
	}
}

/*
 * Test the swap-in paths with allocation failures injected, one failure
 * point after the other (current->fail_nth = 1, 2, ...), on an evicted
 * object, until the path succeeds without reaching the injected failure.
 * The test case succeeds if the path reaches at least one failure point,
 * every injected failure makes it fail with -ENOMEM (-EFAULT for the CPU
 * access, whose fault handler returns VM_FAULT_SIGBUS), leaves the counts
 * unchanged and the object consistent (evicted, or resident with its
 * pattern, on the LRU of that state, without an sg_table), and a retry
 * without injection succeeds with the full pattern.
 */
static void drm_test_gem_shmem_shrinker_fault_inject(struct kunit *test)
{
	const struct shrinker_test_path *path = test->param_value;
	unsigned int n, uses, failed = 0, resident = 0;
	struct shrinker_test_use use = {};
	struct shrinker_test_bo *bo;
	int ret;

	if (!IS_ENABLED(CONFIG_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_FAULT_INJECTION");

	bo = shrinker_test_bo_create(test, 0);
	shrinker_test_bo_mmap(test, bo);
	uses = use_count(&bo->shmem);
	use.bo = bo;
	use.buf = shrinker_test_buf(test, TEST_PAGES);

	for (n = 1; ; n++) {
		bool injected;

		KUNIT_ASSERT_LT_MSG(test, n, TEST_MAX_INJECTIONS, "%s keeps failing", path->name);
		shrinker_test_evict(test, bo, uses);

		shrinker_test_set_fail_nth(n);
		ret = path->get(&use);
		injected = !shrinker_test_fail_nth();
		shrinker_test_set_fail_nth(0);

		if (!injected) {
			KUNIT_EXPECT_EQ_MSG(test, ret, 0, "without injection, %u", n);
			if (!ret) {
				shrinker_test_expect_pattern(test, bo, use.buf, path->name);
				shrinker_test_put(path, &use);
			}
			break;
		}

		failed++;
		KUNIT_EXPECT_EQ_MSG(test, ret, path->err, "failure point %u", n);
		if (!ret) {
			shrinker_test_put(path, &use);
			continue;
		}
		resident += shrinker_test_expect_consistent(test, bo, uses);

		memset(use.buf, 0, bo_size(bo));
		ret = path->get(&use);
		KUNIT_EXPECT_EQ_MSG(test, ret, 0, "retry after failure point %u", n);
		if (!ret) {
			shrinker_test_expect_pattern(test, bo, use.buf, path->name);
			shrinker_test_put(path, &use);
		}
	}

	KUNIT_EXPECT_GT(test, failed, 0);
	kunit_info(test, "%s: %u failure points, %u left the pages in\n",
		   path->name, failed, resident);
}

#if IS_ENABLED(CONFIG_FAULT_INJECTION_DEBUG_FS) && IS_ENABLED(CONFIG_FAILSLAB) && \
	IS_ENABLED(CONFIG_FAIL_PAGE_ALLOC)
#define TEST_REAL_INJECTION	1

/*
 * A setting of the kernel's failslab or fail_page_alloc, changed for one
 * test and restored after it. The only interface to them is debugfs; the
 * value behind a file is its inode's private data.
 */
struct shrinker_test_knob {
	void *value;
	unsigned int size;
	unsigned long saved;
};

static unsigned long shrinker_test_knob_get(const struct shrinker_test_knob *knob)
{
	switch (knob->size) {
	case sizeof(bool):
		return READ_ONCE(*(bool *)knob->value);
	case sizeof(u32):
		return READ_ONCE(*(u32 *)knob->value);
	default:
		return READ_ONCE(*(unsigned long *)knob->value);
	}
}

static void shrinker_test_knob_put(struct shrinker_test_knob *knob, unsigned long value)
{
	switch (knob->size) {
	case sizeof(bool):
		WRITE_ONCE(*(bool *)knob->value, value);
		break;
	case sizeof(u32):
		WRITE_ONCE(*(u32 *)knob->value, value);
		break;
	default:
		WRITE_ONCE(*(unsigned long *)knob->value, value);
		break;
	}
}

static void shrinker_test_knob_restore(void *data)
{
	struct shrinker_test_knob *knob = data;

	shrinker_test_knob_put(knob, knob->saved);
}

/* Set the setting in debugfs file @dir/@name, of @size bytes, to @value */
static void shrinker_test_set_knob(struct kunit *test, const char *dir,
				   const char *name, unsigned int size,
				   unsigned long value)
{
	struct shrinker_test_knob *knob;
	struct dentry *parent, *file;
	int ret;

	knob = kunit_kzalloc(test, sizeof(*knob), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, knob);

	parent = debugfs_lookup(dir, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, parent, "no %s in debugfs", dir);
	file = debugfs_lookup(name, parent);
	dput(parent);
	KUNIT_ASSERT_NOT_ERR_OR_NULL_MSG(test, file, "no %s/%s in debugfs", dir, name);
	knob->value = d_inode(file)->i_private;
	dput(file);
	KUNIT_ASSERT_NOT_NULL(test, knob->value);

	knob->size = size;
	knob->saved = shrinker_test_knob_get(knob);
	ret = kunit_add_action_or_reset(test, shrinker_test_knob_restore, knob);
	KUNIT_ASSERT_EQ(test, ret, 0);
	shrinker_test_knob_put(knob, value);
}

/*
 * Let current->fail_nth fail every slab and page allocation: by default
 * both ignore allocations that may sleep, and fail_page_alloc also
 * highmem (the shmem pages) and order 0.
 */
static void shrinker_test_fail_real_allocations(struct kunit *test)
{
	shrinker_test_set_knob(test, "failslab", "ignore-gfp-wait", sizeof(bool), false);
	shrinker_test_set_knob(test, "failslab", "cache-filter", sizeof(bool), false);
	shrinker_test_set_knob(test, "failslab", "verbose", sizeof(unsigned long), 1);
	shrinker_test_set_knob(test, "fail_page_alloc", "ignore-gfp-wait", sizeof(bool), false);
	shrinker_test_set_knob(test, "fail_page_alloc", "ignore-gfp-highmem", sizeof(bool),
			       false);
	shrinker_test_set_knob(test, "fail_page_alloc", "min-order", sizeof(u32), 0);
	shrinker_test_set_knob(test, "fail_page_alloc", "verbose", sizeof(unsigned long), 1);
}
#else
#define TEST_REAL_INJECTION	0

static void shrinker_test_fail_real_allocations(struct kunit *test)
{
}
#endif

/*
 * Zero the odd pages of @bo, in the object and in its pattern: once
 * evicted, they can become holes of its shmem file that read back as
 * zeroes.
 */
static void shrinker_test_zero_odd_pages(struct kunit *test, struct shrinker_test_bo *bo)
{
	unsigned long i;

	for (i = 1; i < bo_pages(bo); i += 2)
		memset(bo->pattern + i * PAGE_SIZE, 0, PAGE_SIZE);

	shrinker_test_write_pattern(test, bo);
}

/*
 * Punch the odd pages of the evicted @bo out of its shmem file, so that a
 * swap-in must allocate a page for each, and check that none of the pages
 * left in the file has a reference more than the page cache's (and the
 * per-CPU LRU batch's, while it is not on an LRU yet): a failed swap-in
 * must not leak one. Returns the number of odd pages that were present.
 */
static unsigned long shrinker_test_punch_odd_pages(struct kunit *test,
						   struct shrinker_test_bo *bo)
{
	struct file *filp = bo->shmem.base.filp;
	struct address_space *mapping = filp->f_mapping;
	unsigned long i, present = 0;

	KUNIT_ASSERT_NULL(test, bo->shmem.pages);

	for (i = 0; i < bo_pages(bo); i++) {
		struct folio *folio = filemap_get_folio(mapping, i);
		int expected;

		if (IS_ERR(folio))
			continue;
		if (i & 1)
			present++;
		/* The page cache, ours, and the LRU batch's if not on an LRU */
		expected = 2 + !folio_test_lru(folio);
		KUNIT_EXPECT_EQ_MSG(test, folio_ref_count(folio), expected,
				    "page %lu of the evicted object", i);
		folio_put(folio);
	}

	for (i = 1; i < bo_pages(bo); i += 2)
		shmem_truncate_range(file_inode(filp), i << PAGE_SHIFT,
				     ((i + 1) << PAGE_SHIFT) - 1);

	return present;
}

/*
 * Test the swap-in paths with real allocation failures: failslab and
 * fail_page_alloc fail the n-th allocation of the test task
 * (current->fail_nth), together with the helper's own failure points, for
 * n = 1, 2, ... until the path succeeds without reaching the failure. The
 * object is evicted before each try and its odd pages (zeroes) punched out
 * of the shmem file, so every try allocates the page array, a page for
 * each hole, the sg_table, the DMA mapping or the vmap of the path. A
 * failed allocation may be one the kernel tolerates (a fallback); each
 * other must fail the path. The test case succeeds if every try returns 0
 * with the object's contents or the path's error; after each error the
 * counts are unchanged, the object is consistent, no page has a reference
 * too many, and a retry brings the contents back; and a swap-in failed at
 * each page that had to be allocated: k of the holes were filled when it
 * failed, for every k below their number, within a few sweeps of n.
 */
static void drm_test_gem_shmem_shrinker_real_fault_inject(struct kunit *test)
{
	const struct shrinker_test_path *path = test->param_value;
	unsigned long holes = TEST_HOLE_PAGES / 2, k;
	unsigned int n, sweep, uses, failed = 0;
	struct shrinker_test_use use = {};
	struct shrinker_test_bo *bo;
	unsigned long failed_at = 0;
	struct shrinker_test *st = test->priv;
	int ret;

	BUILD_BUG_ON(TEST_HOLE_PAGES / 2 > BITS_PER_LONG);
	if (!TEST_REAL_INJECTION)
		kunit_skip(test, "needs FAULT_INJECTION_DEBUG_FS, FAILSLAB and FAIL_PAGE_ALLOC");

	bo = shrinker_test_bo_create_on(test, st->drm, 0, TEST_HOLE_PAGES);
	shrinker_test_zero_odd_pages(test, bo);
	shrinker_test_bo_mmap(test, bo);
	uses = use_count(&bo->shmem);
	use.bo = bo;
	use.buf = shrinker_test_buf(test, TEST_HOLE_PAGES);
	shrinker_test_fail_real_allocations(test);

	/*
	 * Which allocations a try makes varies a little (a slab may need a
	 * new page, KASAN may save a stack): sweep again while a page k was
	 * not reached by a failure.
	 */
	for (sweep = 0; sweep < TEST_REAL_SWEEPS && failed_at != BIT(holes) - 1;
	     sweep++) {
		for (n = 1; ; n++) {
			bool injected;

			KUNIT_ASSERT_LT_MSG(test, n, TEST_MAX_REAL_INJECTIONS, "%s keeps failing",
					    path->name);
			shrinker_test_evict(test, bo, uses);
			shrinker_test_punch_odd_pages(test, bo);
			memset(use.buf, 0xa5, bo_size(bo));

			shrinker_test_set_fail_nth(n);
			ret = path->get(&use);
			injected = !shrinker_test_fail_nth();
			shrinker_test_set_fail_nth(0);

			if (!ret) {
				/* Not reached, or a failure the kernel tolerated */
				shrinker_test_expect_pattern(test, bo, use.buf, path->name);
				shrinker_test_put(path, &use);
				if (!injected)
					break;
				continue;
			}

			failed++;
			KUNIT_EXPECT_TRUE_MSG(test, injected, "%d without an injected failure",
					      ret);
			KUNIT_EXPECT_EQ_MSG(test, ret, path->err, "failure point %u", n);
			if (!shrinker_test_expect_consistent(test, bo, uses)) {
				/* Still evicted: how far did the swap-in get? */
				k = shrinker_test_punch_odd_pages(test, bo);
				if (k < holes)
					failed_at |= BIT(k);
			}

			memset(use.buf, 0, bo_size(bo));
			ret = path->get(&use);
			KUNIT_EXPECT_EQ_MSG(test, ret, 0, "retry after failure point %u", n);
			if (!ret) {
				shrinker_test_expect_pattern(test, bo, use.buf, path->name);
				shrinker_test_put(path, &use);
			}
		}
	}

	for (k = 0; k < holes; k++)
		KUNIT_EXPECT_TRUE_MSG(test, failed_at & BIT(k),
				      "no swap-in failed with %lu of %lu holes filled", k, holes);
	kunit_info(test, "%s: %u sweeps, %u allocations failed the path\n",
		   path->name, sweep, failed);
}

/*
 * Test a driver bug: drm_gem_shmem_evict_locked() on a pinned object. It
 * warns (on purpose, from this test). The test case succeeds if it returns
 * -EBUSY and leaves the object as it was: same pages, pinned, not evicted,
 * same counts, on the pinned LRU, pattern intact.
 */
static void drm_test_gem_shmem_shrinker_evict_pinned(struct kunit *test)
{
	struct shrinker_test *st = test->priv;
	struct drm_gem_shmem_object *shmem;
	struct shrinker_test_bo *bo;
	struct page **pages;
	unsigned int uses;
	int ret;

	bo = shrinker_test_bo_create(test, 0);
	shmem = &bo->shmem;
	ret = drm_gem_shmem_pin(shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kunit_add_action_or_reset(test, drm_gem_shmem_unpin_wrapper, shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);
	pages = shmem->pages;
	uses = use_count(shmem);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_evict_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, ret, -EBUSY);

	KUNIT_EXPECT_PTR_EQ(test, shmem->pages, pages);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, use_count(shmem), uses);
	shrinker_test_expect_resident(test, bo, &st->gs->pinned);
}

static int drm_gem_shmem_shrinker_test_init(struct kunit *test)
{
	struct shrinker_test *st;
	int ret;

	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);

	test->priv = st;
	st->drm = shrinker_test_alloc_drm(test, "drm-gem-shmem-shrinker-test");

	ret = drmm_gem_shmem_init_shrinker(st->drm, &shrinker_test_hooks);
	KUNIT_ASSERT_EQ(test, ret, 0);
	st->gs = st->drm->gem_shrinker;
	KUNIT_ASSERT_NOT_NULL(test, st->gs);

	/* No swap in the test machine: evicted pages stay in the page cache. */
	drm_gem_shrinker_set_swap_pages(st->gs, LONG_MAX);
	/* The busy stages run in the test thread, a direct reclaim. */
	st->gs->wait_kswapd_only = false;
	if (!drm_gem_shrinker_can_evict(st->gs, GFP_KERNEL))
		kunit_skip(test, "eviction is disabled (drm.gem_shrinker_evict)");

	return 0;
}

static struct kunit_case drm_gem_shmem_shrinker_test_cases[] = {
	KUNIT_CASE_PARAM(drm_test_gem_shmem_shrinker_evict_swapin,
			 shrinker_test_paths_gen_params),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_evict_dirty),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_purge),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_untouchable),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_exported_count),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_busy),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_lru_bump),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_evict_hook),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_hook_context),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_evicted_last_use),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_swapin_count),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_writeback_error),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_fault_sigbus),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_status),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_sgt_unlocked),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_race),
	KUNIT_CASE_PARAM(drm_test_gem_shmem_shrinker_fault_inject,
			 shrinker_test_paths_gen_params),
	KUNIT_CASE_PARAM(drm_test_gem_shmem_shrinker_real_fault_inject,
			 shrinker_test_paths_gen_params),
	KUNIT_CASE(drm_test_gem_shmem_shrinker_evict_pinned),
	{}
};

static struct kunit_suite drm_gem_shmem_shrinker_test_suite = {
	.name = "drm_gem_shmem_shrinker",
	.init = drm_gem_shmem_shrinker_test_init,
	.test_cases = drm_gem_shmem_shrinker_test_cases,
};

kunit_test_suite(drm_gem_shmem_shrinker_test_suite);

MODULE_DESCRIPTION("KUnit test suite for the shmem GEM object shrinker");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");

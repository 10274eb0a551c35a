// SPDX-License-Identifier: GPL-2.0
/*
 * Copyright 2018 Noralf Trønnes
 */

#include <linux/debugfs.h>
#include <linux/dma-buf.h>
#include <linux/export.h>
#include <linux/fault-inject.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pagemap.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/vmalloc.h>
#include <linux/writeback.h>

#ifdef CONFIG_X86
#include <asm/set_memory.h>
#endif

#include <drm/drm.h>
#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_gem_shrinker.h>
#include <drm/drm_managed.h>
#include <drm/drm_prime.h>
#include <drm/drm_print.h>

MODULE_IMPORT_NS(DMA_BUF);

/**
 * DOC: overview
 *
 * This library provides helpers for GEM objects backed by shmem buffers
 * allocated using anonymous pageable memory.
 *
 * Functions that operate on the GEM object receive struct &drm_gem_shmem_object.
 * For GEM callback helpers in struct &drm_gem_object functions, see likewise
 * named functions with an _object_ infix (e.g., drm_gem_shmem_object_vmap() wraps
 * drm_gem_shmem_vmap_locked()). These helpers perform the necessary type
 * conversion.
 *
 * The state of an object is protected by its reservation lock,
 * &drm_gem_object.resv. Functions with a _locked suffix must be called with it
 * held and check this with lockdep; their counterparts without the suffix take
 * it themselves.
 *
 * The helpers distinguish users of the backing pages from pins:
 *
 * - A use reference (drm_gem_shmem_get_pages_locked(), the cached sg_table of
 *   drm_gem_shmem_get_pages_sgt(), each CPU mapping) says that the object
 *   needs a backing store. It does not keep the pages in memory: they are
 *   populated on demand, under the reservation lock, and may be absent while
 *   the object is in use. A CPU mapping populates the pages on its first
 *   page fault.
 * - A pin (drm_gem_shmem_pin(), drm_gem_shmem_vmap_locked(), dma-buf export)
 *   keeps the pages present until it is dropped: the object is neither
 *   evicted nor purged while pinned. Pinning an object that is already pinned
 *   does not take the reservation lock, so it can be done in paths that must
 *   not take it.
 */

/**
 * DOC: memory shrinker
 *
 * A driver makes the shmem GEM objects of a device reclaimable with one call
 * to drmm_gem_shmem_init_shrinker() at probe. The helpers then keep every
 * object on the LRU of its state in the device's GEM shrinker (see the GEM
 * shrinker core): pinned, WILLNEED, DONTNEED or evicted; objects without
 * pages and purged objects are on none. Under memory pressure the shrinker
 * purges idle DONTNEED objects with drm_gem_shmem_purge_locked() and, when
 * swap space is available, evicts idle WILLNEED objects with
 * drm_gem_shmem_evict_locked(). Objects that are pinned, mapped into the
 * kernel (vmap), exported or imported through dma-buf are never touched; a
 * CPU mapping (mmap) is not a pin: it is zapped and faults the pages back.
 * The helpers notice an export (&drm_gem_object.dma_buf) the next time they
 * look at the object: until an attachment pins it, or the first scan that
 * reaches it moves it to the pinned LRU, the count still includes it. An
 * evicted object that userspace marks DONTNEED is purged, which frees its
 * swap.
 *
 * The object states map onto the fields of &drm_gem_shmem_object:
 *
 * ============ ==================================================== ===========
 * state        condition (reservation lock held)                    reclaim
 * ============ ==================================================== ===========
 * unbacked     no @pages, not @evicted                              none
 * pinned       @pages_pin_count > 0, or exported/imported           never
 * willneed     @pages, @madv == %DRM_GEM_SHMEM_MADV_WILLNEED        evict
 * dontneed     @pages, @madv == %DRM_GEM_SHMEM_MADV_DONTNEED        purge
 * evicted      no @pages, @evicted                                  none
 * purged       @madv == %DRM_GEM_SHMEM_MADV_PURGED                  final
 * ============ ==================================================== ===========
 *
 * Before the pages of an object go, the shrinker calls the driver's
 * &drm_gem_shmem_shrinker_funcs.purge or &drm_gem_shmem_shrinker_funcs.evict
 * hook, given to drmm_gem_shmem_init_shrinker(), with the reservation lock
 * held and the context of the scan: the driver removes the object from the
 * GPU page tables there (or tells the host to stop using the pages), and may
 * return -EBUSY to keep the object for now, e.g. while its device is
 * runtime-suspended. The hooks run in memory reclaim: they must not allocate
 * with reclaim or block on other reservation locks, and wait only as long as
 * drm_gem_lru_scan_timeout() allows, which is 0 in the idle stages. A driver
 * whose teardown is asynchronous starts it and declines the object until a
 * later scan finds it complete (see &drm_gem_shrinker_funcs).
 *
 * Evicted pages go back to the shmem file dirty, from where the core memory
 * management writes them to swap. Any use brings them back:
 * drm_gem_shmem_swapin_locked(), called by pin, vmap, the CPU fault handler,
 * drm_gem_shmem_get_pages_sgt_locked() and the driver's submit path. Every
 * use also moves the object to the tail of its LRU, so that recently used
 * objects are reclaimed last. A driver that caches the sg_table pointer must
 * get it again after an eviction (its evict hook tells it when that
 * happens). A purged object cannot come back: swap-in, pin, vmap and
 * getting the sg_table fail with -EINVAL, and CPU faults raise SIGBUS; a
 * failed allocation is -ENOMEM, and SIGBUS for a fault.
 *
 * Eviction keeps what the CPU wrote last. Userspace writes through mmap at
 * any time, so the helpers sync the sg_table for the device before they
 * unmap it: with bounce buffers (swiotlb) the unmap would otherwise copy an
 * older bounce buffer back over the pages. A driver whose device writes
 * into an object must sync it for the CPU when the write completes, as the
 * DMA API requires for CPU access anyway; device writes it did not sync are
 * lost at eviction.
 */

/**
 * DOC: validating objects for a job
 *
 * The GPU must only see resident objects, and the shrinker must not take
 * away the pages of an object while a job uses it. Fences make that work: the
 * shrinker skips objects with unsignalled fences of any usage (it waits, for
 * a bounded time, only when the caller of reclaim may block). A submit path
 * therefore does, for each job:
 *
 * 1. Prepare the job: look up the objects, allocate everything, initialize
 *    the scheduler job with drm_sched_job_init().
 * 2. Lock the reservations of all objects, with drm_exec for several, and
 *    reserve fence slots with drm_exec_prepare_obj().
 * 3. For each object: reject a purged or DONTNEED object with -EINVAL, call
 *    drm_gem_shmem_swapin_locked() (when the object is resident, it only
 *    marks it as used, without a lock), get the sg_table again with
 *    drm_gem_shmem_get_pages_sgt_locked() if the object was evicted, and
 *    restore the GPU mapping.
 * 4. Arm the job with drm_sched_job_arm(), which creates its finished fence,
 *    and add that fence to every reservation with dma_resv_add_fence(). No
 *    step may fail after drm_sched_job_arm().
 * 5. Unlock the reservations and push the job with drm_sched_entity_push_job().
 *
 * From step 4 on the object is busy until the job completes, so the shrinker
 * leaves it alone. Between step 3 and step 4 the reservation locks keep it
 * safe, as the shrinker only trylocks them. Fence-signalling code (run_job,
 * the GPU fault handler) must neither take a reservation lock nor allocate
 * memory with reclaim, because reclaim may wait for its fence.
 *
 * .. code-block:: c
 *
 *	static int driver_validate(struct drm_gem_shmem_object *shmem)
 *	{
 *		struct sg_table *sgt;
 *		int ret;
 *
 *		if (shmem->madv != DRM_GEM_SHMEM_MADV_WILLNEED)
 *			return -EINVAL;
 *
 *		ret = drm_gem_shmem_swapin_locked(shmem);
 *		if (ret)
 *			return ret;
 *
 *		sgt = drm_gem_shmem_get_pages_sgt_locked(shmem);
 *		if (IS_ERR(sgt))
 *			return PTR_ERR(sgt);
 *
 *		return driver_map_on_gpu(shmem, sgt);	// no-op if mapped
 *	}
 *
 *	static int driver_submit(struct driver_job *job)
 *	{
 *		struct drm_gem_object *obj;
 *		struct drm_exec exec;
 *		unsigned long i;
 *		int ret;
 *
 *		drm_exec_init(&exec, DRM_EXEC_INTERRUPTIBLE_WAIT, job->bo_count);
 *		drm_exec_until_all_locked(&exec) {
 *			for (i = 0; i < job->bo_count; i++) {
 *				ret = drm_exec_prepare_obj(&exec, job->bos[i], 1);
 *				drm_exec_retry_on_contention(&exec);
 *				if (ret)
 *					goto out_fini;
 *			}
 *		}
 *
 *		drm_exec_for_each_locked_object(&exec, obj) {
 *			ret = driver_validate(to_drm_gem_shmem_obj(obj));
 *			if (ret)
 *				goto out_fini;
 *		}
 *
 *		drm_sched_job_arm(&job->base);
 *		drm_exec_for_each_locked_object(&exec, obj)
 *			dma_resv_add_fence(obj->resv, &job->base.s_fence->finished,
 *					   DMA_RESV_USAGE_WRITE);
 *		drm_exec_fini(&exec);
 *
 *		drm_sched_entity_push_job(&job->base);
 *		return 0;
 *
 *	out_fini:
 *		drm_exec_fini(&exec);
 *		return ret;
 *	}
 *
 * The driver side of reclaim are its hooks:
 *
 * .. code-block:: c
 *
 *	static int driver_gem_unmap(struct drm_gem_shmem_object *shmem,
 *				    struct drm_gem_lru_scan_ctx *ctx)
 *	{
 *		struct driver_bo *bo = to_driver_bo(&shmem->base);
 *
 *		// Never wake up the device from reclaim.
 *		if (!pm_runtime_get_if_active(bo->dev))
 *			return -EBUSY;
 *
 *		driver_unmap_from_gpu(bo);	// called with obj->resv held
 *		pm_runtime_put(bo->dev);
 *		return 0;
 *	}
 *
 *	static bool driver_can_evict(struct drm_device *drm)
 *	{
 *		return READ_ONCE(driver_evict_param);
 *	}
 *
 *	static const struct drm_gem_shmem_shrinker_funcs driver_shrinker_funcs = {
 *		.can_evict = driver_can_evict,
 *		.purge = driver_gem_unmap,
 *		.evict = driver_gem_unmap,
 *	};
 *
 *	static int driver_probe(...)
 *	{
 *		...
 *		ret = drmm_gem_shmem_init_shrinker(drm, &driver_shrinker_funcs);
 *		if (ret)
 *			return ret;
 *		...
 *	}
 *
 *	static void driver_remove(...)
 *	{
 *		drm_dev_unregister(drm);
 *		// The hooks use state that goes now.
 *		drm_gem_shrinker_unregister(drm->gem_shrinker);
 *		...
 *	}
 */

static const struct drm_gem_object_funcs drm_gem_shmem_funcs = {
	.free = drm_gem_shmem_object_free,
	.print_info = drm_gem_shmem_object_print_info,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.status = drm_gem_shmem_object_status,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

static struct drm_gem_shmem_object *
__drm_gem_shmem_create(struct drm_device *dev, size_t size, bool private)
{
	struct drm_gem_shmem_object *shmem;
	struct drm_gem_object *obj;
	int ret = 0;

	size = PAGE_ALIGN(size);

	if (dev->driver->gem_create_object) {
		obj = dev->driver->gem_create_object(dev, size);
		if (IS_ERR(obj))
			return ERR_CAST(obj);
		shmem = to_drm_gem_shmem_obj(obj);
	} else {
		shmem = kzalloc(sizeof(*shmem), GFP_KERNEL);
		if (!shmem)
			return ERR_PTR(-ENOMEM);
		obj = &shmem->base;
	}

	if (!obj->funcs)
		obj->funcs = &drm_gem_shmem_funcs;

	if (private) {
		drm_gem_private_object_init(dev, obj, size);
		shmem->map_wc = false; /* dma-buf mappings use always writecombine */
	} else {
		ret = drm_gem_object_init(dev, obj, size);
	}
	if (ret) {
		drm_gem_private_object_fini(obj);
		goto err_free;
	}

	ret = drm_gem_create_mmap_offset(obj);
	if (ret)
		goto err_release;

	INIT_LIST_HEAD(&shmem->madv_list);

	if (!private) {
		/*
		 * Our buffers are kept pinned, so allocating them
		 * from the MOVABLE zone is a really bad idea, and
		 * conflicts with CMA. See comments above new_inode()
		 * why this is required _and_ expected if you're
		 * going to pin these pages.
		 */
		mapping_set_gfp_mask(obj->filp->f_mapping, GFP_HIGHUSER |
				     __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
	}

	return shmem;

err_release:
	drm_gem_object_release(obj);
err_free:
	kfree(obj);

	return ERR_PTR(ret);
}
/**
 * drm_gem_shmem_create - Allocate an object with the given size
 * @dev: DRM device
 * @size: Size of the object to allocate
 *
 * This function creates a shmem GEM object.
 *
 * Returns:
 * A struct drm_gem_shmem_object * on success or an ERR_PTR()-encoded negative
 * error code on failure.
 */
struct drm_gem_shmem_object *drm_gem_shmem_create(struct drm_device *dev, size_t size)
{
	return __drm_gem_shmem_create(dev, size, false);
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_create);

/*
 * Check that the reservation lock is held, except while the object is being
 * destroyed: drm_gem_shmem_free() must not take the lock when the last
 * reference was dropped from memory reclaim (a shrinker may do that, and
 * lockdep orders dma_resv before fs_reclaim). Nobody else can reach an object
 * whose refcount is zero, so the lock is not needed then.
 */
static void drm_gem_shmem_resv_assert_held(struct drm_gem_shmem_object *shmem)
{
	if (kref_read(&shmem->base.refcount))
		dma_resv_assert_held(shmem->base.resv);
}

/*
 * Unmap and free the cached sg_table; the caller handles its use reference.
 *
 * With @keep the pages stay, in memory or in swap, and must keep what the
 * CPU wrote last: the object is not being destroyed or purged. The CPU writes through mmap()
 * at any time, without a sync that gives it the buffer, so with bounce
 * buffers (swiotlb: confidential guests, virtio devices with
 * VIRTIO_F_ACCESS_PLATFORM) the bounce buffer may be older than the pages,
 * and unmapping copies it back over them. Sync for the device first: the
 * bounce buffer gets the contents of the pages (without bounce buffers, CPU
 * caches are written back), and the copy back, or cache invalidation, of the
 * unmap then keeps them. Device writes that the driver did not sync for the
 * CPU were never visible to it and are not kept either.
 */
static void drm_gem_shmem_free_sgt(struct drm_gem_shmem_object *shmem,
				   bool keep)
{
	struct drm_gem_object *obj = &shmem->base;
	unsigned long attrs = 0;

	if (keep)
		dma_sync_sgtable_for_device(obj->dev->dev, shmem->sgt,
					    DMA_TO_DEVICE);
	else
		attrs = DMA_ATTR_SKIP_CPU_SYNC;
	dma_unmap_sgtable(obj->dev->dev, shmem->sgt, DMA_BIDIRECTIONAL, attrs);
	sg_free_table(shmem->sgt);
	kfree(shmem->sgt);
	shmem->sgt = NULL;
}

#ifdef CONFIG_FAULT_INJECTION
static DECLARE_FAULT_ATTR(drm_gem_shmem_fail_alloc);
static struct dentry *drm_gem_shmem_fail_alloc_dir;

static int __init drm_gem_shmem_fault_inject_init(void)
{
	drm_gem_shmem_fail_alloc_dir =
		fault_create_debugfs_attr("fail_drm_gem_shmem_alloc", NULL,
					  &drm_gem_shmem_fail_alloc);
	return 0;
}
module_init(drm_gem_shmem_fault_inject_init);

static void __exit drm_gem_shmem_fault_inject_exit(void)
{
	if (!IS_ERR(drm_gem_shmem_fail_alloc_dir))
		debugfs_remove_recursive(drm_gem_shmem_fail_alloc_dir);
}
module_exit(drm_gem_shmem_fault_inject_exit);
#endif

/*
 * Fault-injection point in front of each allocation needed to bring pages
 * back (pages, sg_table, DMA mapping, kernel mapping). Driven per task with
 * /proc/self/fail-nth or current->fail_nth (the KUnit tests do that), or for
 * everybody through debugfs/fail_drm_gem_shmem_alloc.
 */
static bool drm_gem_shmem_should_fail_alloc(size_t size)
{
#ifdef CONFIG_FAULT_INJECTION
	return should_fail_ex(&drm_gem_shmem_fail_alloc, size, FAULT_NOWARN);
#else
	return false;
#endif
}

static enum drm_gem_reclaim_state
drm_gem_shmem_reclaim_state(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;

	if (shmem->madv < 0)
		return DRM_GEM_RECLAIM_PURGED;
	if (refcount_read(&shmem->pages_pin_count))
		return DRM_GEM_RECLAIM_PINNED;
	/* Purging an evicted object frees its swap (zram is memory, too). */
	if (shmem->evicted && shmem->madv == DRM_GEM_SHMEM_MADV_DONTNEED &&
	    !obj->dma_buf)
		return DRM_GEM_RECLAIM_DONTNEED;
	if (!shmem->pages)
		return shmem->evicted ? DRM_GEM_RECLAIM_EVICTED :
					DRM_GEM_RECLAIM_UNBACKED;
	if (obj->dma_buf || obj->import_attach)
		return DRM_GEM_RECLAIM_PINNED;
	if (shmem->madv == DRM_GEM_SHMEM_MADV_DONTNEED)
		return DRM_GEM_RECLAIM_DONTNEED;

	return DRM_GEM_RECLAIM_WILLNEED;
}

/*
 * Put the object on the LRU of its current state, at the tail: called after
 * every change of state and every use. Does nothing without a shrinker.
 */
static void drm_gem_shmem_update_lru_locked(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;

	if (!obj->dev->gem_shrinker || obj->import_attach)
		return;

	drm_gem_shrinker_update_state(obj, drm_gem_shmem_reclaim_state(shmem));
}

/* Allocate the backing pages, without touching the counts */
static int drm_gem_shmem_acquire_pages(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;
	struct page **pages;

	if (drm_gem_shmem_should_fail_alloc(obj->size))
		return -ENOMEM;

	pages = drm_gem_get_pages(obj);
	if (IS_ERR(pages)) {
		drm_dbg_kms(obj->dev, "Failed to get pages (%ld)\n",
			    PTR_ERR(pages));
		return PTR_ERR(pages);
	}

	/*
	 * TODO: Allocating WC pages which are correctly flushed is only
	 * supported on x86. Ideal solution would be a GFP_WC flag, which also
	 * ttm_pool.c could use.
	 */
#ifdef CONFIG_X86
	if (shmem->map_wc)
		set_pages_array_wc(pages, obj->size >> PAGE_SHIFT);
#endif

	shmem->pages = pages;

	return 0;
}

/*
 * Release the pages and the sg_table mapping them; the counts are unchanged.
 *
 * The pages always go back dirty: the GPU and CPU writes through the
 * PFN-mapped mmap() never dirty them, and the contents must survive in the
 * shmem file (and swap) until the pages are needed again.
 */
static void drm_gem_shmem_release_pages(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;

	if (shmem->sgt)
		drm_gem_shmem_free_sgt(shmem, kref_read(&obj->refcount));

#ifdef CONFIG_X86
	if (shmem->map_wc)
		set_pages_array_wb(shmem->pages, obj->size >> PAGE_SHIFT);
#endif

	drm_gem_put_pages(obj, shmem->pages, true,
			  shmem->pages_mark_accessed_on_put);
	shmem->pages = NULL;
}

/**
 * drm_gem_shmem_swapin_locked - Bring the pages of a shmem GEM object back
 * @shmem: shmem GEM object
 *
 * This function makes sure the backing pages of an object that has users
 * (see &drm_gem_shmem_object.pages_use_count) are present: it populates
 * them if they were never allocated or were evicted, reading evicted
 * contents back from the shmem file and swap. It also marks the object as
 * used, also when it was resident: with a shrinker, recently used objects
 * are reclaimed last.
 *
 * It is the one place that brings pages back: pin, vmap, the CPU page-fault
 * handler and drm_gem_shmem_get_pages_sgt_locked() call it, and so must
 * driver submit paths, for every object of a job, with the reservation locks
 * held, before the job's fence is added. See "Validating objects for a job"
 * in the shmem helper documentation.
 *
 * Context: Process context, reservation lock held. May allocate and enter
 * memory reclaim.
 *
 * An object without users (&drm_gem_shmem_object.pages_use_count is zero,
 * e.g. after an eviction freed the sg_table that was its only user) gets no
 * pages: swapin only marks it as used and returns 0, with
 * &drm_gem_shmem_object.pages still NULL. Callers that need the pages take a
 * use reference, with drm_gem_shmem_get_pages_locked(), or get the sg_table
 * with drm_gem_shmem_get_pages_sgt_locked(), which does so.
 *
 * Returns:
 * 0 on success, also when nothing had to be done, -EINVAL if the object
 * was purged, -ENOMEM if the pages could not be allocated, or another
 * negative error code from the shmem file. On failure the object is unchanged and a later
 * call may succeed.
 */
int drm_gem_shmem_swapin_locked(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;
	int ret;

	drm_gem_shmem_resv_assert_held(shmem);

	if (obj->import_attach)
		return 0;

	/*
	 * The contents are gone for good; don't hand out fresh pages. Not
	 * -ENOMEM: callers map that to OOM handling, and more memory would
	 * not bring the contents back.
	 */
	if (shmem->madv < 0)
		return -EINVAL;

	if (!shmem->pages && refcount_read(&shmem->pages_use_count)) {
		ret = drm_gem_shmem_acquire_pages(shmem);
		if (ret)
			return ret;
		if (shmem->evicted)
			drm_gem_shrinker_account_swapin(obj);
		shmem->evicted = false;
	}

	drm_gem_shmem_update_lru_locked(shmem);

	return 0;
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_swapin_locked);

/* Take a use reference without populating the pages */
static void drm_gem_shmem_get_use_locked(struct drm_gem_shmem_object *shmem)
{
	drm_gem_shmem_resv_assert_held(shmem);

	if (!refcount_inc_not_zero(&shmem->pages_use_count))
		refcount_set(&shmem->pages_use_count, 1);
}

/* Drop a use reference, leaving the pages to the caller */
static void drm_gem_shmem_put_use_locked(struct drm_gem_shmem_object *shmem)
{
	drm_gem_shmem_resv_assert_held(shmem);

	if (!refcount_dec_not_one(&shmem->pages_use_count))
		refcount_set(&shmem->pages_use_count, 0);
}

/**
 * drm_gem_shmem_get_pages_locked - Take a use reference on the backing pages
 * @shmem: shmem GEM object
 *
 * This function increases the use count of the backing pages and makes sure
 * they are present, allocating them if needed. A use reference does not pin:
 * use drm_gem_shmem_pin() or drm_gem_shmem_pin_locked() for pages that must
 * stay in memory while the reservation lock is not held. Release the
 * reference with drm_gem_shmem_put_pages_locked().
 *
 * Context: Process context, reservation lock held. May allocate and enter
 * memory reclaim.
 *
 * Returns:
 * 0 on success, -ENOMEM if the pages could not be allocated, -EINVAL if the
 * object was purged or is imported, or another negative error code from
 * the shmem file.
 */
int drm_gem_shmem_get_pages_locked(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;
	int ret;

	drm_gem_shmem_resv_assert_held(shmem);

	if (drm_WARN_ON(obj->dev, obj->import_attach))
		return -EINVAL;

	drm_gem_shmem_get_use_locked(shmem);

	ret = drm_gem_shmem_swapin_locked(shmem);
	if (ret) {
		/* Back to the previous count; there are no pages to release. */
		drm_gem_shmem_put_use_locked(shmem);
		return ret;
	}

	return 0;
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_get_pages_locked);

/**
 * drm_gem_shmem_put_pages_locked - Drop a use reference on the backing pages
 * @shmem: shmem GEM object
 *
 * This function decreases the use count and releases the backing pages, and
 * the cached scatter/gather table that maps them, when the count drops to
 * zero. If the pages are already gone (evicted or purged), it only decrements
 * the count; an evicted object stays evicted.
 *
 * Context: Process context, reservation lock held.
 */
void drm_gem_shmem_put_pages_locked(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;

	drm_gem_shmem_resv_assert_held(shmem);

	if (drm_WARN_ON_ONCE(obj->dev, !refcount_read(&shmem->pages_use_count)))
		return;

	if (!refcount_dec_and_test(&shmem->pages_use_count))
		return;

	/*
	 * Nobody needs the pages. Resident ones go back to the shmem file and
	 * the object is unbacked. An evicted object stays evicted: its
	 * contents are in swap, and marked DONTNEED it is purged, which frees
	 * that swap.
	 */
	if (shmem->pages)
		drm_gem_shmem_release_pages(shmem);

	drm_gem_shmem_update_lru_locked(shmem);
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_put_pages_locked);

/* Drop what a native object still holds when it is destroyed */
static void drm_gem_shmem_destroy_locked(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;

	drm_gem_shmem_resv_assert_held(shmem);

	drm_WARN_ON_ONCE(obj->dev, refcount_read(&shmem->vmap_use_count));
	drm_WARN_ON_ONCE(obj->dev, refcount_read(&shmem->pages_pin_count));

	if (shmem->sgt)
		drm_gem_shmem_free_sgt(shmem, false);
	/*
	 * Drop the use reference of the sg_table, or of the pages that a
	 * driver installed itself.
	 */
	if (shmem->pages)
		drm_gem_shmem_put_pages_locked(shmem);

	drm_WARN_ON_ONCE(obj->dev, refcount_read(&shmem->pages_use_count));
}

/**
 * drm_gem_shmem_free - Free resources associated with a shmem GEM object
 * @shmem: shmem GEM object to free
 *
 * This function cleans up the GEM object state and frees the memory used to
 * store the object itself. It frees the cached scatter/gather table and drops
 * the use reference it holds. Pins and kernel mappings must have been dropped
 * before; leftovers are reported with a warning.
 *
 * The final drm_gem_object_put() may happen in memory reclaim, from a
 * shrinker: with a refcount of zero this function does not take the
 * reservation lock, as nobody else can reach the object any more.
 *
 * Context: Process context. Takes the reservation lock only if the object
 * still has references, i.e. when a driver frees an object that it never
 * published (error paths right after drm_gem_shmem_create()).
 */
void drm_gem_shmem_free(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;

	if (obj->import_attach) {
		drm_prime_gem_destroy(obj, shmem->sgt);
	} else if (kref_read(&obj->refcount)) {
		/* A driver frees an object it never published. */
		dma_resv_lock(shmem->base.resv, NULL);
		drm_gem_shmem_destroy_locked(shmem);
		dma_resv_unlock(shmem->base.resv);
	} else {
		/*
		 * The final put, maybe from reclaim: no lock, see
		 * drm_gem_shmem_resv_assert_held().
		 */
		drm_gem_shmem_destroy_locked(shmem);
	}

	drm_gem_object_release(obj);
	kfree(shmem);
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_free);

/**
 * drm_gem_shmem_pin_locked - Pin the backing pages of a shmem GEM object
 * @shmem: shmem GEM object
 *
 * This function takes a pin on the backing pages: they are populated and stay
 * in memory, neither evicted nor purged, until drm_gem_shmem_unpin_locked()
 * or drm_gem_shmem_unpin() drops the pin. The first pin takes a use
 * reference, the following ones only increment
 * &drm_gem_shmem_object.pages_pin_count.
 *
 * Context: Process context, reservation lock held. May allocate and enter
 * memory reclaim.
 *
 * Returns:
 * 0 on success, -ENOMEM if the pages could not be allocated, -EINVAL if the
 * object was purged or is imported, or another negative error code from
 * the shmem file.
 */
int drm_gem_shmem_pin_locked(struct drm_gem_shmem_object *shmem)
{
	int ret;

	drm_gem_shmem_resv_assert_held(shmem);

	if (refcount_inc_not_zero(&shmem->pages_pin_count))
		return 0;

	ret = drm_gem_shmem_get_pages_locked(shmem);
	if (ret)
		return ret;

	/*
	 * Publish the pages before the pin count becomes visible to the
	 * lockless fast path in drm_gem_shmem_pin(), which pairs with this
	 * barrier through smp_acquire__after_ctrl_dep().
	 */
	smp_wmb();
	refcount_set(&shmem->pages_pin_count, 1);

	drm_gem_shmem_update_lru_locked(shmem);

	return 0;
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_pin_locked);

/**
 * drm_gem_shmem_unpin_locked - Unpin the backing pages of a shmem GEM object
 * @shmem: shmem GEM object
 *
 * This function drops a pin taken with drm_gem_shmem_pin_locked() or
 * drm_gem_shmem_pin(). The last unpin drops the use reference of the pins.
 * Unpinning an object that is not pinned warns once and changes nothing.
 *
 * Context: Process context, reservation lock held.
 */
void drm_gem_shmem_unpin_locked(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;

	drm_gem_shmem_resv_assert_held(shmem);

	if (drm_WARN_ON_ONCE(obj->dev, !refcount_read(&shmem->pages_pin_count)))
		return;

	if (refcount_dec_and_test(&shmem->pages_pin_count)) {
		drm_gem_shmem_put_pages_locked(shmem);
		drm_gem_shmem_update_lru_locked(shmem);
	}
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_unpin_locked);

/**
 * drm_gem_shmem_pin - Pin backing pages for a shmem GEM object
 * @shmem: shmem GEM object
 *
 * This function makes sure the backing pages are pinned in memory, see
 * drm_gem_shmem_pin_locked(). Pinning an object that is already pinned does
 * not take the reservation lock, so a caller that holds a pin can take more
 * in paths where the lock must not be taken (e.g. fence-signalling paths).
 *
 * Context: Process context. Takes and releases the reservation lock unless
 * the object is already pinned.
 *
 * Returns:
 * 0 on success, -EINTR if interrupted while waiting for the reservation lock,
 * or an error code of drm_gem_shmem_pin_locked().
 */
int drm_gem_shmem_pin(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;
	int ret;

	drm_WARN_ON(obj->dev, obj->import_attach);

	if (refcount_inc_not_zero(&shmem->pages_pin_count)) {
		/* Pairs with smp_wmb() in drm_gem_shmem_pin_locked(). */
		smp_acquire__after_ctrl_dep();
		return 0;
	}

	ret = dma_resv_lock_interruptible(shmem->base.resv, NULL);
	if (ret)
		return ret;
	ret = drm_gem_shmem_pin_locked(shmem);
	dma_resv_unlock(shmem->base.resv);

	return ret;
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_pin);

/**
 * drm_gem_shmem_unpin - Unpin backing pages for a shmem GEM object
 * @shmem: shmem GEM object
 *
 * This function removes the requirement that the backing pages are pinned in
 * memory. Dropping a pin that is not the last one does not take the
 * reservation lock. Unpinning an object that is not pinned warns once and
 * changes nothing.
 *
 * Context: Process context. Takes and releases the reservation lock for the
 * last pin.
 */
void drm_gem_shmem_unpin(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;

	drm_WARN_ON(obj->dev, obj->import_attach);

	/* Check first: a refcount_t underflow would saturate the count. */
	if (drm_WARN_ON_ONCE(obj->dev, !refcount_read(&shmem->pages_pin_count)))
		return;

	if (refcount_dec_not_one(&shmem->pages_pin_count))
		return;

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_unpin_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_unpin);

/**
 * drm_gem_shmem_vmap_locked - Create a virtual mapping for a shmem GEM object
 * @shmem: shmem GEM object
 * @map: Returns the kernel virtual address of the SHMEM GEM object's backing
 *       store.
 *
 * This function makes sure that a contiguous kernel virtual address mapping
 * exists for the buffer backing the shmem GEM object. It hides the differences
 * between dma-buf imported and natively allocated objects. The first mapping
 * of a native object pins its pages; further calls share the mapping.
 *
 * Acquired mappings should be cleaned up by calling drm_gem_shmem_vunmap_locked().
 *
 * Context: Process context, reservation lock held.
 *
 * Returns:
 * 0 on success, -ENOMEM if the pages could not be allocated or mapped,
 * -EINVAL if the object was purged, -EIO if an imported buffer is I/O
 * memory, or another negative error code from pinning or dma_buf_vmap().
 */
int drm_gem_shmem_vmap_locked(struct drm_gem_shmem_object *shmem,
			      struct iosys_map *map)
{
	struct drm_gem_object *obj = &shmem->base;
	pgprot_t prot = PAGE_KERNEL;
	void *vaddr;
	int ret;

	drm_gem_shmem_resv_assert_held(shmem);

	if (obj->import_attach) {
		ret = dma_buf_vmap(obj->import_attach->dmabuf, map);
		if (ret)
			return ret;
		if (drm_WARN_ON(obj->dev, map->is_iomem)) {
			dma_buf_vunmap(obj->import_attach->dmabuf, map);
			return -EIO;
		}
		return 0;
	}

	if (refcount_inc_not_zero(&shmem->vmap_use_count)) {
		iosys_map_set_vaddr(map, shmem->vaddr);
		return 0;
	}

	ret = drm_gem_shmem_pin_locked(shmem);
	if (ret)
		return ret;

	if (shmem->map_wc)
		prot = pgprot_writecombine(prot);
	if (drm_gem_shmem_should_fail_alloc(obj->size))
		vaddr = NULL;
	else
		vaddr = vmap(shmem->pages, obj->size >> PAGE_SHIFT, VM_MAP,
			     prot);
	if (!vaddr) {
		ret = -ENOMEM;
		goto err_unpin;
	}

	shmem->vaddr = vaddr;
	refcount_set(&shmem->vmap_use_count, 1);
	iosys_map_set_vaddr(map, vaddr);

	return 0;

err_unpin:
	drm_dbg_kms(obj->dev, "Failed to vmap pages, error %d\n", ret);
	drm_gem_shmem_unpin_locked(shmem);
	return ret;
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_vmap_locked);

/**
 * drm_gem_shmem_vunmap_locked - Unmap a virtual mapping for a shmem GEM object
 * @shmem: shmem GEM object
 * @map: Kernel virtual address where the SHMEM GEM object was mapped
 *
 * This function cleans up a kernel virtual address mapping acquired by
 * drm_gem_shmem_vmap_locked(). The mapping is only removed, and the pin
 * dropped, when the use count drops to zero; until then
 * &drm_gem_shmem_object.vaddr stays valid for the other users.
 *
 * This function hides the differences between dma-buf imported and natively
 * allocated objects.
 *
 * Context: Process context, reservation lock held.
 */
void drm_gem_shmem_vunmap_locked(struct drm_gem_shmem_object *shmem,
				 struct iosys_map *map)
{
	struct drm_gem_object *obj = &shmem->base;

	drm_gem_shmem_resv_assert_held(shmem);

	if (obj->import_attach) {
		dma_buf_vunmap(obj->import_attach->dmabuf, map);
		return;
	}

	if (drm_WARN_ON_ONCE(obj->dev, !refcount_read(&shmem->vmap_use_count)))
		return;

	if (!refcount_dec_and_test(&shmem->vmap_use_count))
		return;

	vunmap(shmem->vaddr);
	shmem->vaddr = NULL;

	drm_gem_shmem_unpin_locked(shmem);
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_vunmap_locked);

static int
drm_gem_shmem_create_with_handle(struct drm_file *file_priv,
				 struct drm_device *dev, size_t size,
				 uint32_t *handle)
{
	struct drm_gem_shmem_object *shmem;
	int ret;

	shmem = drm_gem_shmem_create(dev, size);
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);

	/*
	 * Allocate an id of idr table where the obj is registered
	 * and handle has the id what user can see.
	 */
	ret = drm_gem_handle_create(file_priv, &shmem->base, handle);
	/* drop reference from allocate - handle holds it now. */
	drm_gem_object_put(&shmem->base);

	return ret;
}

/**
 * drm_gem_shmem_madvise_locked - Update the madvise state of a shmem GEM object
 * @shmem: shmem GEM object
 * @madv: %DRM_GEM_SHMEM_MADV_WILLNEED (0) or %DRM_GEM_SHMEM_MADV_DONTNEED;
 *        any other positive value (a driver's uAPI value) means DONTNEED
 *
 * This function records whether userspace still needs the contents of the
 * object. A purged object stays purged: its state does not change any more.
 * A negative @madv marks the object %DRM_GEM_SHMEM_MADV_PURGED without
 * releasing the pages; drm_gem_shmem_purge_locked() is the function that
 * discards the contents.
 *
 * Context: Process context, reservation lock held.
 *
 * Returns:
 * 1 if the object keeps its contents, 0 if it was purged. This is the
 * "retained" value of the madvise ioctls of drivers.
 */
int drm_gem_shmem_madvise_locked(struct drm_gem_shmem_object *shmem, int madv)
{
	drm_gem_shmem_resv_assert_held(shmem);

	if (shmem->madv < 0)
		return 0;

	if (madv > 0)
		shmem->madv = DRM_GEM_SHMEM_MADV_DONTNEED;
	else if (madv < 0)
		shmem->madv = DRM_GEM_SHMEM_MADV_PURGED;
	else
		shmem->madv = DRM_GEM_SHMEM_MADV_WILLNEED;

	drm_gem_shmem_update_lru_locked(shmem);

	return shmem->madv >= 0;
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_madvise_locked);

/**
 * drm_gem_shmem_purge_locked - Discard the contents of a shmem GEM object
 * @shmem: shmem GEM object
 *
 * This function releases the backing pages of a purgeable object (see
 * drm_gem_shmem_is_purgeable()) and discards their contents for good: CPU
 * mappings are zapped and raise SIGBUS on the next access, the cached
 * scatter/gather table is freed together with its use reference, the pages
 * are released even if other users still hold use references (they drop
 * them later), the mmap offset is freed and the shmem file truncated. The
 * object ends in the %DRM_GEM_SHMEM_MADV_PURGED state and can never be
 * populated again. The driver must have torn down its GPU mappings before.
 *
 * Calling it on an object that is not purgeable warns and does nothing.
 *
 * Context: Process context or memory reclaim, reservation lock held (a
 * shrinker must only trylock it).
 */
void drm_gem_shmem_purge_locked(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;
	struct drm_device *dev = obj->dev;

	drm_gem_shmem_resv_assert_held(shmem);

	if (drm_WARN_ON(dev, !drm_gem_shmem_is_purgeable(shmem)))
		return;

	/* Zap the CPU mappings first; they fault with SIGBUS from now on. */
	drm_vma_node_unmap(&obj->vma_node, dev->anon_inode->i_mapping);

	/* The sg_table goes with the pages, and so does its use reference. */
	if (shmem->sgt) {
		drm_gem_shmem_free_sgt(shmem, false);
		drm_gem_shmem_put_pages_locked(shmem);
	}

	/* Other users keep their use references and drop them later. */
	if (shmem->pages)
		drm_gem_shmem_release_pages(shmem);

	shmem->madv = DRM_GEM_SHMEM_MADV_PURGED;
	shmem->evicted = false;
	drm_gem_shmem_update_lru_locked(shmem);

	drm_gem_free_mmap_offset(obj);

	/* Our goal here is to return as much of the memory as
	 * is possible back to the system as we are called from OOM.
	 * To do this we must instruct the shmfs to drop all of its
	 * backing pages, *now*.
	 */
	shmem_truncate_range(file_inode(obj->filp), 0, (loff_t)-1);

	invalidate_mapping_pages(file_inode(obj->filp)->i_mapping, 0, (loff_t)-1);
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_purge_locked);

/**
 * drm_gem_shmem_evict_locked - Evict the pages of a shmem GEM object
 * @shmem: shmem GEM object
 *
 * This function gives the backing pages of an evictable object (see
 * drm_gem_shmem_is_evictable()) back to its shmem file, from where the core
 * memory management may write them to swap, and keeps the contents: CPU
 * mappings are zapped and fault the pages back in on the next access, the
 * cached scatter/gather table is freed together with its use reference, and
 * the pages are put dirty. The users keep their use references; the next
 * drm_gem_shmem_swapin_locked(), pin, vmap, CPU fault or
 * drm_gem_shmem_get_pages_sgt_locked() brings the pages back. The driver must
 * have torn down its GPU mappings before; its sg_table pointer is stale
 * afterwards.
 *
 * A memory shrinker set up with drmm_gem_shmem_init_shrinker() calls it for
 * idle objects, after the driver's &drm_gem_shmem_shrinker_funcs.evict hook.
 *
 * Context: Process context or memory reclaim, reservation lock held (a
 * shrinker must only trylock it).
 *
 * Returns:
 * 0 on success, -EBUSY (with a warning) if the object is not evictable.
 */
int drm_gem_shmem_evict_locked(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;
	struct drm_device *dev = obj->dev;

	drm_gem_shmem_resv_assert_held(shmem);

	if (drm_WARN_ON(dev, !drm_gem_shmem_is_evictable(shmem)))
		return -EBUSY;

	drm_vma_node_unmap(&obj->vma_node, dev->anon_inode->i_mapping);

	/*
	 * The sg_table goes with the pages, and so does its use reference.
	 * The object is evicted even if the table was the only user: the
	 * driver gets a new one, and the pages come back, on the next use.
	 */
	if (shmem->sgt) {
		drm_gem_shmem_free_sgt(shmem, true);
		drm_gem_shmem_put_use_locked(shmem);
	}

	if (shmem->pages)
		drm_gem_shmem_release_pages(shmem);

	shmem->evicted = true;
	drm_gem_shmem_update_lru_locked(shmem);

	return 0;
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_evict_locked);

/*
 * Start writing the pages of an evicted object to swap, so that they leave
 * memory now instead of when the core reclaim finds them. Pages that are
 * mapped somewhere else stay for the core reclaim to age. The scan asks for
 * it (DRM_GEM_LRU_SCAN_WRITEBACK) only in kswapd, which may sleep on a
 * folio lock under the reservation lock: nobody who holds a folio lock of
 * a GEM object's shmem file waits for its reservation.
 */
static void drm_gem_shmem_writeback(struct drm_gem_shmem_object *shmem)
{
	struct address_space *mapping = shmem->base.filp->f_mapping;
	pgoff_t npages = shmem->base.size >> PAGE_SHIFT;
	struct writeback_control wbc = {
		.sync_mode = WB_SYNC_NONE,
		.nr_to_write = SWAP_CLUSTER_MAX,
		.range_start = 0,
		.range_end = LLONG_MAX,
		.for_reclaim = 1,
	};
	pgoff_t i = 0;

	if (!mapping->a_ops->writepage)
		return;

	while (i < npages) {
		struct folio *folio;
		pgoff_t index;
		int ret;

		folio = filemap_lock_folio(mapping, i);
		if (IS_ERR(folio)) {
			i++;
			continue;
		}
		index = folio->index;

		if (folio_mapped(folio) || !folio_clear_dirty_for_io(folio)) {
			i = folio_next_index(folio);
			folio_unlock(folio);
			folio_put(folio);
			continue;
		}

		folio_set_reclaim(folio);
		ret = mapping->a_ops->writepage(&folio->page, &wbc);
		if (!folio_test_writeback(folio))
			folio_clear_reclaim(folio);
		/*
		 * Only AOP_WRITEPAGE_ACTIVATE leaves the folio locked; on
		 * success and on errors writepage unlocked it.
		 */
		if (ret == AOP_WRITEPAGE_ACTIVATE)
			folio_unlock(folio);
		/*
		 * shmem splits a large folio to write out its first page: the
		 * other pages are folios of their own now, and come next. Our
		 * reference keeps the folio's size readable.
		 */
		i = index + folio_nr_pages(folio);
		folio_put(folio);
	}
}

/* The GEM shrinker of a shmem device: the core's callbacks, the driver's hooks */
struct drm_gem_shmem_shrinker {
	struct drm_gem_shrinker_funcs base;
	const struct drm_gem_shmem_shrinker_funcs *funcs;
};

static const struct drm_gem_shmem_shrinker_funcs *
drm_gem_shmem_shrinker_hooks(struct drm_gem_object *obj)
{
	const struct drm_gem_shmem_shrinker *ss =
		container_of(obj->dev->gem_shrinker->funcs,
			     struct drm_gem_shmem_shrinker, base);

	return ss->funcs;
}

static int drm_gem_shmem_shrinker_purge(struct drm_gem_object *obj,
					struct drm_gem_lru_scan_ctx *ctx)
{
	const struct drm_gem_shmem_shrinker_funcs *funcs =
		drm_gem_shmem_shrinker_hooks(obj);
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);
	int ret;

	/* The state may have changed before the lock was taken. */
	if (!drm_gem_shmem_is_purgeable(shmem)) {
		drm_gem_shmem_update_lru_locked(shmem);
		return -EAGAIN;
	}

	/* Let the driver tear down its GPU mappings, or decline the object */
	if (funcs && funcs->purge) {
		ret = funcs->purge(shmem, ctx);
		if (ret)
			return ret;
	}

	drm_gem_shmem_purge_locked(shmem);

	return 0;
}

static int drm_gem_shmem_shrinker_evict(struct drm_gem_object *obj,
					struct drm_gem_lru_scan_ctx *ctx)
{
	const struct drm_gem_shmem_shrinker_funcs *funcs =
		drm_gem_shmem_shrinker_hooks(obj);
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);
	int ret;

	if (!drm_gem_shmem_is_evictable(shmem)) {
		drm_gem_shmem_update_lru_locked(shmem);
		return -EAGAIN;
	}

	if (funcs && funcs->evict) {
		ret = funcs->evict(shmem, ctx);
		if (ret)
			return ret;
	}

	ret = drm_gem_shmem_evict_locked(shmem);
	if (ret)
		return ret;

	if (ctx->flags & DRM_GEM_LRU_SCAN_WRITEBACK)
		drm_gem_shmem_writeback(shmem);

	return 0;
}

/**
 * drmm_gem_shmem_init_shrinker - Make the shmem GEM objects of a device
 *                                reclaimable
 * @dev: DRM device
 * @funcs: Hooks of the driver, or NULL if it has no GPU mappings to tear
 *         down; must stay valid for the life of @dev
 *
 * This function sets up a GEM shrinker (see drmm_gem_shrinker_init()) for
 * the shmem GEM objects of @dev: under memory pressure, idle objects marked
 * %DRM_GEM_SHMEM_MADV_DONTNEED are purged and, when eviction is possible
 * (and &drm_gem_shmem_shrinker_funcs.can_evict agrees), idle unpinned
 * objects are evicted with drm_gem_shmem_evict_locked(). Before it releases
 * the pages of an object, the shrinker calls the driver's purge or evict
 * hook with the reservation lock held.
 *
 * Drivers call it once at probe, before they create objects. Their submit
 * paths must then bring objects back before the GPU uses them, see
 * drm_gem_shmem_swapin_locked(). A driver whose hooks use state that goes in
 * its remove callback unregisters the shrinker there, with
 * drm_gem_shrinker_unregister().
 *
 * Context: Process context.
 *
 * Returns:
 * 0 on success, -ENOMEM, or a negative error code of drmm_gem_shrinker_init().
 */
int drmm_gem_shmem_init_shrinker(struct drm_device *dev,
				 const struct drm_gem_shmem_shrinker_funcs *funcs)
{
	struct drm_gem_shmem_shrinker *ss;
	struct drm_gem_shrinker *gs;

	ss = drmm_kzalloc(dev, sizeof(*ss), GFP_KERNEL);
	if (!ss)
		return -ENOMEM;

	ss->base.purge = drm_gem_shmem_shrinker_purge;
	ss->base.evict = drm_gem_shmem_shrinker_evict;
	ss->base.can_evict = funcs ? funcs->can_evict : NULL;
	ss->base.scan_end = funcs ? funcs->scan_end : NULL;
	ss->funcs = funcs;

	gs = drmm_gem_shrinker_init(dev, &ss->base);

	return PTR_ERR_OR_ZERO(gs);
}
EXPORT_SYMBOL_GPL(drmm_gem_shmem_init_shrinker);

/**
 * drm_gem_shmem_dumb_create - Create a dumb shmem buffer object
 * @file: DRM file structure to create the dumb buffer for
 * @dev: DRM device
 * @args: IOCTL data
 *
 * This function computes the pitch of the dumb buffer and rounds it up to an
 * integer number of bytes per pixel. Drivers for hardware that doesn't have
 * any additional restrictions on the pitch can directly use this function as
 * their &drm_driver.dumb_create callback.
 *
 * For hardware with additional restrictions, drivers can adjust the fields
 * set up by userspace before calling into this function.
 *
 * Returns:
 * 0 on success or a negative error code on failure.
 */
int drm_gem_shmem_dumb_create(struct drm_file *file, struct drm_device *dev,
			      struct drm_mode_create_dumb *args)
{
	u32 min_pitch = DIV_ROUND_UP(args->width * args->bpp, 8);

	if (!args->pitch || !args->size) {
		args->pitch = min_pitch;
		args->size = PAGE_ALIGN(args->pitch * args->height);
	} else {
		/* ensure sane minimum values */
		if (args->pitch < min_pitch)
			args->pitch = min_pitch;
		if (args->size < args->pitch * args->height)
			args->size = PAGE_ALIGN(args->pitch * args->height);
	}

	return drm_gem_shmem_create_with_handle(file, dev, args->size, &args->handle);
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_dumb_create);

static vm_fault_t drm_gem_shmem_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct drm_gem_object *obj = vma->vm_private_data;
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);
	loff_t num_pages = obj->size >> PAGE_SHIFT;
	vm_fault_t ret;
	struct page *page;
	pgoff_t page_offset;
	int err;

	/* We don't use vmf->pgoff since that has the fake offset */
	page_offset = (vmf->address - vma->vm_start) >> PAGE_SHIFT;

	dma_resv_lock(shmem->base.resv, NULL);

	if (page_offset >= num_pages || shmem->madv < 0) {
		ret = VM_FAULT_SIGBUS;
		goto out_unlock;
	}

	/*
	 * The mapping holds a use reference, but the pages may be absent.
	 *
	 * If they cannot come back, the access gets SIGBUS, never
	 * VM_FAULT_OOM: the swap-in allocates with __GFP_RETRY_MAYFAIL, which
	 * reclaims hard but never calls the OOM killer, so outside a memcg
	 * OOM the kernel would only print "VM_FAULT_OOM leaked out" and retry
	 * the fault, and with it the allocation of the whole object under
	 * mmap_lock, for as long as the pressure lasts. Allocating here with
	 * flags that may OOM-kill instead would pick a victim by RSS, which
	 * does not include GEM pages. The contents stay in swap; a later
	 * access, a pin or a submit may bring them back.
	 */
	err = drm_gem_shmem_swapin_locked(shmem);
	if (err) {
		ret = VM_FAULT_SIGBUS;
		goto out_unlock;
	}

	page = shmem->pages[page_offset];
	ret = vmf_insert_pfn(vma, vmf->address, page_to_pfn(page));

out_unlock:
	dma_resv_unlock(shmem->base.resv);

	return ret;
}

static void drm_gem_shmem_vm_open(struct vm_area_struct *vma)
{
	struct drm_gem_object *obj = vma->vm_private_data;
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);

	drm_WARN_ON(obj->dev, obj->import_attach);

	dma_resv_lock(shmem->base.resv, NULL);

	/*
	 * The VMA being copied (on fork()) or split holds a use reference
	 * already, vm_open() just grabs an additional one for the new VMA.
	 */
	drm_WARN_ON_ONCE(obj->dev,
			 !refcount_inc_not_zero(&shmem->pages_use_count));

	dma_resv_unlock(shmem->base.resv);

	drm_gem_vm_open(vma);
}

static void drm_gem_shmem_vm_close(struct vm_area_struct *vma)
{
	struct drm_gem_object *obj = vma->vm_private_data;
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_put_pages_locked(shmem);
	dma_resv_unlock(shmem->base.resv);

	drm_gem_vm_close(vma);
}

const struct vm_operations_struct drm_gem_shmem_vm_ops = {
	.fault = drm_gem_shmem_fault,
	.open = drm_gem_shmem_vm_open,
	.close = drm_gem_shmem_vm_close,
};
EXPORT_SYMBOL_GPL(drm_gem_shmem_vm_ops);

/**
 * drm_gem_shmem_mmap - Memory-map a shmem GEM object
 * @shmem: shmem GEM object
 * @vma: VMA for the area to be mapped
 *
 * This function implements an augmented version of the GEM DRM file mmap
 * operation for shmem objects. The mapping takes a use reference on the
 * backing pages, which it drops when it is closed, but it neither allocates
 * nor pins them: the page-fault handler populates the pages on first access,
 * and a purged object raises SIGBUS.
 *
 * Context: Process context, mmap lock held. Takes and releases the
 * reservation lock.
 *
 * Returns:
 * 0 on success, -EINVAL for copy-on-write mappings, or a negative error code
 * from dma_buf_mmap() for imported objects.
 */
int drm_gem_shmem_mmap(struct drm_gem_shmem_object *shmem, struct vm_area_struct *vma)
{
	struct drm_gem_object *obj = &shmem->base;
	int ret;

	if (obj->import_attach) {
		/* Reset both vm_ops and vm_private_data, so we don't end up with
		 * vm_ops pointing to our implementation if the dma-buf backend
		 * doesn't set those fields.
		 */
		vma->vm_private_data = NULL;
		vma->vm_ops = NULL;

		ret = dma_buf_mmap(obj->dma_buf, vma, 0);

		/* Drop the reference drm_gem_mmap_obj() acquired.*/
		if (!ret)
			drm_gem_object_put(obj);

		return ret;
	}

	if (is_cow_mapping(vma->vm_flags))
		return -EINVAL;

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_get_use_locked(shmem);
	dma_resv_unlock(shmem->base.resv);

	vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
	vma->vm_page_prot = vm_get_page_prot(vma->vm_flags);
	if (shmem->map_wc)
		vma->vm_page_prot = pgprot_writecombine(vma->vm_page_prot);

	return 0;
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_mmap);

/**
 * drm_gem_shmem_object_status - GEM object function for fdinfo memory stats
 * @obj: GEM object
 *
 * This function implements &drm_gem_object_funcs.status for shmem objects,
 * for drm_show_memory_stats(): an object is resident while its pages are in
 * memory (an imported object always), so not while it is unbacked, evicted
 * or purged, and purgeable while userspace marks it
 * %DRM_GEM_SHMEM_MADV_DONTNEED. Drivers that print the standard fdinfo
 * memory stats use it (the default &drm_gem_object_funcs of the helpers
 * do).
 *
 * Context: Called under the table lock of a DRM file, without the
 * reservation lock: the answer may be stale by the time it is printed.
 *
 * Returns:
 * The &enum drm_gem_object_status bits of @obj.
 */
enum drm_gem_object_status drm_gem_shmem_object_status(struct drm_gem_object *obj)
{
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);
	enum drm_gem_object_status status = 0;

	if (obj->import_attach || READ_ONCE(shmem->pages))
		status |= DRM_GEM_OBJECT_RESIDENT;
	if (READ_ONCE(shmem->madv) == DRM_GEM_SHMEM_MADV_DONTNEED)
		status |= DRM_GEM_OBJECT_PURGEABLE;

	return status;
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_object_status);

/**
 * drm_gem_shmem_print_info() - Print &drm_gem_shmem_object info for debugfs
 * @shmem: shmem GEM object
 * @p: DRM printer
 * @indent: Tab indentation level
 *
 * Context: Any context. Reads the state without the reservation lock, so
 * the values printed may be inconsistent with each other.
 */
void drm_gem_shmem_print_info(const struct drm_gem_shmem_object *shmem,
			      struct drm_printer *p, unsigned int indent)
{
	if (shmem->base.import_attach)
		return;

	drm_printf_indent(p, indent, "pages_pin_count=%u\n",
			  refcount_read(&shmem->pages_pin_count));
	drm_printf_indent(p, indent, "pages_use_count=%u\n",
			  refcount_read(&shmem->pages_use_count));
	drm_printf_indent(p, indent, "vmap_use_count=%u\n",
			  refcount_read(&shmem->vmap_use_count));
	drm_printf_indent(p, indent, "vaddr=%p\n", shmem->vaddr);
	drm_printf_indent(p, indent, "madv=%d\n", shmem->madv);
	drm_printf_indent(p, indent, "evicted=%d\n", shmem->evicted);
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_print_info);

/**
 * drm_gem_shmem_get_sg_table - Provide a scatter/gather table of pinned
 *                              pages for a shmem GEM object
 * @shmem: shmem GEM object
 *
 * This function exports a scatter/gather table suitable for PRIME usage by
 * calling the standard DMA mapping API.
 *
 * Drivers who need to acquire an scatter/gather table for objects need to call
 * drm_gem_shmem_get_pages_sgt() instead.
 *
 * Context: Process context. The caller keeps the pages present, usually by
 * holding a pin (dma-buf export attachments pin the object).
 *
 * Returns:
 * A pointer to the scatter/gather table of pinned pages or error pointer on failure.
 */
struct sg_table *drm_gem_shmem_get_sg_table(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;

	drm_WARN_ON(obj->dev, obj->import_attach);

	return drm_prime_pages_to_sg(obj->dev, shmem->pages, obj->size >> PAGE_SHIFT);
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_get_sg_table);

/**
 * drm_gem_shmem_get_pages_sgt_locked - Provide a dma-mapped scatter/gather
 *					table of the backing pages
 * @shmem: shmem GEM object
 *
 * This function returns the scatter/gather table of the object, creating and
 * dma-mapping it if it does not exist: the pages are populated if needed and
 * the table takes a use reference on them. The table stays valid as long as
 * the pages it maps: it is freed with them (purge, or the last use reference
 * dropped) and a later call builds a new one. It does not pin the pages;
 * drivers that hand the table to hardware outside of the reservation lock
 * must keep the object busy with fences or pin it.
 *
 * This is the variant for paths that already hold the reservation lock, such
 * as command submission; see drm_gem_shmem_get_pages_sgt() for the others.
 *
 * Context: Process context, reservation lock held. May allocate and enter
 * memory reclaim.
 *
 * Returns:
 * A pointer to the scatter/gather table on success, or an ERR_PTR()-encoded
 * negative error code: -ENOMEM if the pages or the table could not be
 * allocated, -EINVAL if the object was purged or is imported without a
 * table, or an error code of dma_map_sgtable().
 */
struct sg_table *drm_gem_shmem_get_pages_sgt_locked(struct drm_gem_shmem_object *shmem)
{
	struct drm_gem_object *obj = &shmem->base;
	int ret;
	struct sg_table *sgt;

	drm_gem_shmem_resv_assert_held(shmem);

	if (shmem->sgt)
		return shmem->sgt;

	ret = drm_gem_shmem_get_pages_locked(shmem);
	if (ret)
		return ERR_PTR(ret);

	if (drm_gem_shmem_should_fail_alloc(sizeof(*sgt)))
		sgt = ERR_PTR(-ENOMEM);
	else
		sgt = drm_gem_shmem_get_sg_table(shmem);
	if (IS_ERR(sgt)) {
		ret = PTR_ERR(sgt);
		goto err_put_pages;
	}
	/* Map the pages for use by the h/w. */
	if (drm_gem_shmem_should_fail_alloc(obj->size))
		ret = -ENOMEM;
	else
		ret = dma_map_sgtable(obj->dev->dev, sgt, DMA_BIDIRECTIONAL, 0);
	if (ret)
		goto err_free_sgt;

	shmem->sgt = sgt;

	return sgt;

err_free_sgt:
	sg_free_table(sgt);
	kfree(sgt);
err_put_pages:
	drm_gem_shmem_put_pages_locked(shmem);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_get_pages_sgt_locked);

/**
 * drm_gem_shmem_get_pages_sgt - Provide a dma-mapped scatter/gather table of
 *				 the backing pages of a shmem GEM object
 * @shmem: shmem GEM object
 *
 * This function returns a scatter/gather table suitable for driver usage. If
 * the sg table doesn't exist, the pages are populated, dma-mapped, and a sg
 * table created, see drm_gem_shmem_get_pages_sgt_locked().
 *
 * This is the main function for drivers to get at backing storage, and it hides
 * and difference between dma-buf imported and natively allocated objects.
 * drm_gem_shmem_get_sg_table() should not be directly called by drivers.
 *
 * On a device with a GEM shrinker, the table of an object that is not pinned
 * may be freed by an eviction as soon as the reservation lock is dropped, so
 * this function warns once in that case: call
 * drm_gem_shmem_get_pages_sgt_locked() and use the table before the lock
 * goes (a job's fence then keeps the shrinker away), or pin the object.
 *
 * Context: Process context. Takes and releases the reservation lock.
 *
 * Returns:
 * A pointer to the scatter/gather table on success, or an ERR_PTR()-encoded
 * negative error code: -EINTR if interrupted while waiting for the
 * reservation lock, or an error code of drm_gem_shmem_get_pages_sgt_locked().
 */
struct sg_table *drm_gem_shmem_get_pages_sgt(struct drm_gem_shmem_object *shmem)
{
	int ret;
	struct sg_table *sgt;

	ret = dma_resv_lock_interruptible(shmem->base.resv, NULL);
	if (ret)
		return ERR_PTR(ret);
	drm_WARN_ONCE(shmem->base.dev,
		      shmem->base.dev->gem_shrinker && !shmem->base.import_attach &&
		      !refcount_read(&shmem->pages_pin_count),
		      "the sg_table of an unpinned object may be evicted once unlocked\n");
	sgt = drm_gem_shmem_get_pages_sgt_locked(shmem);
	dma_resv_unlock(shmem->base.resv);

	return sgt;
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_get_pages_sgt);

/**
 * drm_gem_shmem_prime_import_sg_table - Produce a shmem GEM object from
 *                 another driver's scatter/gather table of pinned pages
 * @dev: Device to import into
 * @attach: DMA-BUF attachment
 * @sgt: Scatter/gather table of pinned pages
 *
 * This function imports a scatter/gather table exported via DMA-BUF by
 * another driver. Drivers that use the shmem helpers should set this as their
 * &drm_driver.gem_prime_import_sg_table callback.
 *
 * Returns:
 * A pointer to a newly created GEM object or an ERR_PTR-encoded negative
 * error code on failure.
 */
struct drm_gem_object *
drm_gem_shmem_prime_import_sg_table(struct drm_device *dev,
				    struct dma_buf_attachment *attach,
				    struct sg_table *sgt)
{
	size_t size = PAGE_ALIGN(attach->dmabuf->size);
	struct drm_gem_shmem_object *shmem;

	shmem = __drm_gem_shmem_create(dev, size, true);
	if (IS_ERR(shmem))
		return ERR_CAST(shmem);

	shmem->sgt = sgt;

	drm_dbg_prime(dev, "size = %zu\n", size);

	return &shmem->base;
}
EXPORT_SYMBOL_GPL(drm_gem_shmem_prime_import_sg_table);

MODULE_DESCRIPTION("DRM SHMEM memory-management helpers");
MODULE_IMPORT_NS(DMA_BUF);
MODULE_LICENSE("GPL v2");

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit test suite for GEM objects backed by shmem buffers
 *
 * Copyright (C) 2023 Red Hat, Inc.
 *
 * Author: Marco Pagani <marpagan@redhat.com>
 */

#include <linux/completion.h>
#include <linux/debug_locks.h>
#include <linux/dma-buf.h>
#include <linux/iosys-map.h>
#include <linux/kthread.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>

#include <kunit/test.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_kunit_helpers.h>
#include <drm/drm_vma_manager.h>

#define TEST_SIZE		SZ_1M
#define TEST_BYTE		0xae

#define RACE_SIZE		SZ_64K
#define RACE_THREADS		4
#define RACE_LOOPS		2000

/*
 * Wrappers to avoid cast warnings when passing action functions
 * directly to kunit_add_action().
 */
KUNIT_DEFINE_ACTION_WRAPPER(kfree_wrapper, kfree, const void *);

KUNIT_DEFINE_ACTION_WRAPPER(sg_free_table_wrapper, sg_free_table,
			    struct sg_table *);

KUNIT_DEFINE_ACTION_WRAPPER(drm_gem_shmem_free_wrapper, drm_gem_shmem_free,
			    struct drm_gem_shmem_object *);

KUNIT_DEFINE_ACTION_WRAPPER(drm_gem_object_put_wrapper, drm_gem_object_put,
			    struct drm_gem_object *);

KUNIT_DEFINE_ACTION_WRAPPER(fput_wrapper, fput, struct file *);

/* The mmap tests need a driver with file operations for mock_drm_getfile() */
DEFINE_DRM_GEM_FOPS(drm_gem_shmem_test_fops);

static const struct drm_driver drm_gem_shmem_test_driver = {
	.driver_features = DRIVER_GEM,
	.fops = &drm_gem_shmem_test_fops,
};

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

/* Create an object that is freed at the end of the test */
static struct drm_gem_shmem_object *
drm_gem_shmem_test_create(struct kunit *test, size_t size)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;
	int ret;

	shmem = drm_gem_shmem_create(drm_dev, size);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);

	ret = kunit_add_action_or_reset(test, drm_gem_shmem_free_wrapper, shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	return shmem;
}

/* Create an object whose reference is dropped at the end of the test */
static struct drm_gem_shmem_object *
drm_gem_shmem_test_create_ref(struct kunit *test, size_t size)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;
	int ret;

	shmem = drm_gem_shmem_create(drm_dev, size);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);

	ret = kunit_add_action_or_reset(test, drm_gem_object_put_wrapper,
					&shmem->base);
	KUNIT_ASSERT_EQ(test, ret, 0);

	return shmem;
}

/*
 * Test creating a shmem GEM object backed by shmem buffer. The test
 * case succeeds if the GEM object is successfully allocated with the
 * shmem file node and object functions attributes set, and the size
 * attribute is equal to the correct size.
 */
static void drm_gem_shmem_test_obj_create(struct kunit *test)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;

	shmem = drm_gem_shmem_create(drm_dev, TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);
	KUNIT_EXPECT_EQ(test, shmem->base.size, TEST_SIZE);
	KUNIT_EXPECT_NOT_NULL(test, shmem->base.filp);
	KUNIT_EXPECT_NOT_NULL(test, shmem->base.funcs);

	drm_gem_shmem_free(shmem);
}

/*
 * Test creating a shmem GEM object from a scatter/gather table exported
 * via a DMA-BUF. The test case succeed if the GEM object is successfully
 * created with the shmem file node attribute equal to NULL and the sgt
 * attribute pointing to the scatter/gather table that has been imported.
 */
static void drm_gem_shmem_test_obj_create_private(struct kunit *test)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;
	struct drm_gem_object *gem_obj;
	struct dma_buf buf_mock;
	struct dma_buf_attachment attach_mock;
	struct sg_table *sgt;
	char *buf;
	int ret;

	/* Create a mock scatter/gather table */
	buf = kunit_kzalloc(test, TEST_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);

	sgt = kzalloc(sizeof(*sgt), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sgt);

	ret = kunit_add_action_or_reset(test, kfree_wrapper, sgt);
	KUNIT_ASSERT_EQ(test, ret, 0);

	ret = sg_alloc_table(sgt, 1, GFP_KERNEL);
	KUNIT_ASSERT_EQ(test, ret, 0);

	ret = kunit_add_action_or_reset(test, sg_free_table_wrapper, sgt);
	KUNIT_ASSERT_EQ(test, ret, 0);

	sg_init_one(sgt->sgl, buf, TEST_SIZE);

	/*
	 * Map the sgtables otherwise drm_gem_shmem_free will cause a warning on
	 * debug kernels.
	 */
	ret = dma_map_sgtable(drm_dev->dev, sgt, DMA_BIDIRECTIONAL, 0);
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* Init a mock DMA-BUF */
	buf_mock.size = TEST_SIZE;
	attach_mock.dmabuf = &buf_mock;

	gem_obj = drm_gem_shmem_prime_import_sg_table(drm_dev, &attach_mock, sgt);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, gem_obj);
	KUNIT_EXPECT_EQ(test, gem_obj->size, TEST_SIZE);
	KUNIT_EXPECT_NULL(test, gem_obj->filp);
	KUNIT_EXPECT_NOT_NULL(test, gem_obj->funcs);

	/* The scatter/gather table will be freed by drm_gem_shmem_free */
	kunit_remove_action(test, sg_free_table_wrapper, sgt);
	kunit_remove_action(test, kfree_wrapper, sgt);

	shmem = to_drm_gem_shmem_obj(gem_obj);
	KUNIT_EXPECT_PTR_EQ(test, shmem->sgt, sgt);

	drm_gem_shmem_free(shmem);
}

/*
 * Test pinning backing pages for a shmem GEM object. The test case
 * succeeds if a suitable number of backing pages are allocated, the pin
 * and use counters are increased by one, and unpinning releases the
 * pages and brings both counters back to zero.
 */
static void drm_gem_shmem_test_pin_pages(struct kunit *test)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;
	int i, ret;

	shmem = drm_gem_shmem_create(drm_dev, TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);
	KUNIT_EXPECT_NULL(test, shmem->pages);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);

	ret = kunit_add_action_or_reset(test, drm_gem_shmem_free_wrapper, shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	ret = drm_gem_shmem_pin(shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_NOT_NULL(test, shmem->pages);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 1);

	for (i = 0; i < (shmem->base.size >> PAGE_SHIFT); i++)
		KUNIT_ASSERT_NOT_NULL(test, shmem->pages[i]);

	drm_gem_shmem_unpin(shmem);
	KUNIT_EXPECT_NULL(test, shmem->pages);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
}

/*
 * Test nested pins through the lockless and the locked entry points. The
 * test case succeeds if the pin count follows the pins and unpins, all
 * pins share a single use reference, the pages stay the same until the
 * last unpin, and the last unpin releases them.
 */
static void drm_gem_shmem_test_pin_nested(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem;
	struct page **pages;
	int ret;

	shmem = drm_gem_shmem_test_create(test, TEST_SIZE);

	ret = drm_gem_shmem_pin(shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);
	pages = shmem->pages;
	KUNIT_ASSERT_NOT_NULL(test, pages);

	ret = drm_gem_shmem_pin(shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_pin_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);

	KUNIT_EXPECT_EQ(test, pin_count(shmem), 3);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_PTR_EQ(test, shmem->pages, pages);

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_unpin_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 2);

	drm_gem_shmem_unpin(shmem);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_PTR_EQ(test, shmem->pages, pages);

	drm_gem_shmem_unpin(shmem);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
	KUNIT_EXPECT_NULL(test, shmem->pages);
}

struct drm_gem_shmem_test_pinner {
	struct drm_gem_shmem_object *shmem;
	struct completion done;
	bool unpin;
	int ret;
};

static int drm_gem_shmem_test_pinner_fn(void *data)
{
	struct drm_gem_shmem_test_pinner *pinner = data;

	if (pinner->unpin)
		drm_gem_shmem_unpin(pinner->shmem);
	else
		pinner->ret = drm_gem_shmem_pin(pinner->shmem);

	/* The test waits twice: with a timeout, then for good. */
	complete_all(&pinner->done);

	return 0;
}

/* Create a thread that pins or unpins @shmem once it is woken up */
static struct task_struct *
drm_gem_shmem_test_pinner_create(struct kunit *test,
				 struct drm_gem_shmem_test_pinner *pinner,
				 struct drm_gem_shmem_object *shmem, bool unpin)
{
	struct task_struct *task;

	pinner->shmem = shmem;
	pinner->unpin = unpin;
	pinner->ret = -EINPROGRESS;
	init_completion(&pinner->done);

	task = kthread_create(drm_gem_shmem_test_pinner_fn, pinner,
			      "drm-shmem-pinner");
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, task);

	return task;
}

/*
 * Test that pinning an object that is already pinned, and dropping a pin
 * that is not the last one, do not take the reservation lock. While the
 * test holds the lock, other threads pin and unpin the object. The test
 * case succeeds if the pin and the first unpin complete while the lock is
 * held, and the last unpin, which needs the lock, only completes after the
 * test released it.
 */
static void drm_gem_shmem_test_pin_lockless(struct kunit *test)
{
	struct drm_gem_shmem_test_pinner pinner;
	struct drm_gem_shmem_object *shmem;
	struct task_struct *task;
	unsigned long left;
	int ret;

	shmem = drm_gem_shmem_test_create(test, TEST_SIZE);

	ret = drm_gem_shmem_pin(shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* Pin of an already pinned object */
	task = drm_gem_shmem_test_pinner_create(test, &pinner, shmem, false);
	dma_resv_lock(shmem->base.resv, NULL);
	wake_up_process(task);
	left = wait_for_completion_timeout(&pinner.done, 10 * HZ);
	dma_resv_unlock(shmem->base.resv);
	wait_for_completion(&pinner.done);
	KUNIT_EXPECT_NE_MSG(test, left, 0, "pin blocked on the reservation lock");
	KUNIT_EXPECT_EQ(test, pinner.ret, 0);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 2);

	/* Unpin that is not the last one */
	task = drm_gem_shmem_test_pinner_create(test, &pinner, shmem, true);
	dma_resv_lock(shmem->base.resv, NULL);
	wake_up_process(task);
	left = wait_for_completion_timeout(&pinner.done, 10 * HZ);
	dma_resv_unlock(shmem->base.resv);
	wait_for_completion(&pinner.done);
	KUNIT_EXPECT_NE_MSG(test, left, 0, "unpin blocked on the reservation lock");
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 1);

	/* The last unpin takes the lock */
	task = drm_gem_shmem_test_pinner_create(test, &pinner, shmem, true);
	dma_resv_lock(shmem->base.resv, NULL);
	wake_up_process(task);
	left = wait_for_completion_timeout(&pinner.done, HZ / 10);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 1);
	KUNIT_EXPECT_NOT_NULL(test, shmem->pages);
	dma_resv_unlock(shmem->base.resv);
	wait_for_completion(&pinner.done);
	KUNIT_EXPECT_EQ_MSG(test, left, 0, "last unpin did not take the reservation lock");
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
	KUNIT_EXPECT_NULL(test, shmem->pages);
}

/*
 * Test unpinning an object that is not pinned, a driver bug. Both entry
 * points, drm_gem_shmem_unpin() and drm_gem_shmem_unpin_locked(), warn once
 * (on purpose, from this test) and must not touch the counts. The test
 * case succeeds if the pin count stays at zero instead of saturating, the
 * use reference and the pages of the object survive, and the object can
 * still be pinned and unpinned normally afterwards.
 */
static void drm_gem_shmem_test_unpin_underflow(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem;
	struct page **pages;
	int ret;

	shmem = drm_gem_shmem_test_create(test, TEST_SIZE);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_get_pages_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
	pages = shmem->pages;
	KUNIT_ASSERT_NOT_NULL(test, pages);

	drm_gem_shmem_unpin(shmem);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_PTR_EQ(test, shmem->pages, pages);

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_unpin_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_PTR_EQ(test, shmem->pages, pages);

	ret = drm_gem_shmem_pin(shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 2);

	drm_gem_shmem_unpin(shmem);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_PTR_EQ(test, shmem->pages, pages);

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_put_pages_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
	KUNIT_EXPECT_NULL(test, shmem->pages);
}

struct drm_gem_shmem_test_race {
	struct drm_gem_shmem_object *shmem;
	struct completion start;
	struct completion done;
	atomic_t running;
	atomic_t errors;
};

struct drm_gem_shmem_test_racer {
	struct drm_gem_shmem_test_race *race;
	bool locked;
};

static int drm_gem_shmem_test_racer_pin(struct drm_gem_shmem_test_racer *racer)
{
	struct drm_gem_shmem_object *shmem = racer->race->shmem;
	int ret;

	if (!racer->locked)
		return drm_gem_shmem_pin(shmem);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_pin_locked(shmem);
	dma_resv_unlock(shmem->base.resv);

	return ret;
}

static void drm_gem_shmem_test_racer_unpin(struct drm_gem_shmem_test_racer *racer)
{
	struct drm_gem_shmem_object *shmem = racer->race->shmem;

	if (!racer->locked) {
		drm_gem_shmem_unpin(shmem);
		return;
	}

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_unpin_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
}

static int drm_gem_shmem_test_racer_fn(void *data)
{
	struct drm_gem_shmem_test_racer *racer = data;
	struct drm_gem_shmem_test_race *race = racer->race;
	int i;

	wait_for_completion(&race->start);

	for (i = 0; i < RACE_LOOPS; i++) {
		if (drm_gem_shmem_test_racer_pin(racer)) {
			atomic_inc(&race->errors);
			continue;
		}

		/* A pinned object always has its pages. */
		if (!READ_ONCE(race->shmem->pages))
			atomic_inc(&race->errors);

		drm_gem_shmem_test_racer_unpin(racer);
		cond_resched();
	}

	if (atomic_dec_and_test(&race->running))
		complete(&race->done);

	return 0;
}

/*
 * Race pins and unpins of several threads on one object: all threads but
 * one use the lockless entry points, the last one the locked ones. With
 * @hold_pin, the test holds a pin during the race, so only the lockless
 * fast paths run; without it, the threads also race the 0 <-> 1
 * transitions that take the reservation lock.
 */
static void drm_gem_shmem_test_pin_race(struct kunit *test, bool hold_pin)
{
	struct drm_gem_shmem_test_racer racers[RACE_THREADS];
	struct task_struct *tasks[RACE_THREADS];
	struct drm_gem_shmem_test_race race;
	struct drm_gem_shmem_object *shmem;
	struct page **pages = NULL;
	int i, n, ret;

	shmem = drm_gem_shmem_test_create(test, RACE_SIZE);

	if (hold_pin) {
		ret = drm_gem_shmem_pin(shmem);
		KUNIT_ASSERT_EQ(test, ret, 0);
		pages = shmem->pages;
	}

	race.shmem = shmem;
	init_completion(&race.start);
	init_completion(&race.done);
	atomic_set(&race.errors, 0);

	for (n = 0; n < RACE_THREADS; n++) {
		racers[n].race = &race;
		racers[n].locked = n == RACE_THREADS - 1;
		tasks[n] = kthread_create(drm_gem_shmem_test_racer_fn, &racers[n],
					  "drm-shmem-race-%d", n);
		if (IS_ERR(tasks[n]))
			break;
	}
	atomic_set(&race.running, n);

	for (i = 0; i < n; i++)
		wake_up_process(tasks[i]);
	complete_all(&race.start);
	if (n)
		wait_for_completion(&race.done);

	KUNIT_ASSERT_EQ_MSG(test, n, RACE_THREADS, "could not create the threads");
	KUNIT_EXPECT_EQ(test, atomic_read(&race.errors), 0);

	if (hold_pin) {
		KUNIT_EXPECT_EQ(test, pin_count(shmem), 1);
		KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
		KUNIT_EXPECT_PTR_EQ(test, shmem->pages, pages);
		drm_gem_shmem_unpin(shmem);
	}

	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
	KUNIT_EXPECT_NULL(test, shmem->pages);
}

/*
 * Test pins racing against unpins of an object that stays pinned. The
 * test case succeeds if every pin succeeds and finds the pages present,
 * the pages are never released, and the counts are back to their start
 * values at the end.
 */
static void drm_gem_shmem_test_pin_race_pinned(struct kunit *test)
{
	drm_gem_shmem_test_pin_race(test, true);
}

/*
 * Test pins racing against unpins of an object that is not pinned, so
 * that the 0 -> 1 and 1 -> 0 transitions race the lockless fast paths.
 * The test case succeeds if every pin succeeds and finds the pages present,
 * and the object ends unpinned with its pages released.
 */
static void drm_gem_shmem_test_pin_race_unpinned(struct kunit *test)
{
	drm_gem_shmem_test_pin_race(test, false);
}

/*
 * Test creating a virtual mapping for a shmem GEM object. The test
 * case succeeds if the backing memory is mapped, the reference counter
 * for virtual mapping is increased by one and the mapping pins the
 * pages, and unmapping drops the pin again. Moreover, the test case
 * writes and then reads a test pattern over the mapped memory.
 */
static void drm_gem_shmem_test_vmap(struct kunit *test)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;
	struct iosys_map map;
	int ret, i;

	shmem = drm_gem_shmem_create(drm_dev, TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);
	KUNIT_EXPECT_NULL(test, shmem->vaddr);
	KUNIT_EXPECT_EQ(test, vmap_count(shmem), 0);

	ret = kunit_add_action_or_reset(test, drm_gem_shmem_free_wrapper, shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_vmap_locked(shmem, &map);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_NOT_NULL(test, shmem->vaddr);
	KUNIT_ASSERT_FALSE(test, iosys_map_is_null(&map));
	KUNIT_EXPECT_EQ(test, vmap_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);

	iosys_map_memset(&map, 0, TEST_BYTE, TEST_SIZE);
	for (i = 0; i < TEST_SIZE; i++)
		KUNIT_EXPECT_EQ(test, iosys_map_rd(&map, i, u8), TEST_BYTE);

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_vunmap_locked(shmem, &map);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_NULL(test, shmem->vaddr);
	KUNIT_EXPECT_EQ(test, vmap_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
	KUNIT_EXPECT_NULL(test, shmem->pages);
}

/*
 * Test nested virtual mappings. The test case succeeds if every user gets
 * the same address, the vmap counter follows the calls, all users share a
 * single pin, and the address stays set and usable while the counter is
 * above zero: only the last vunmap clears it and drops the pin.
 */
static void drm_gem_shmem_test_vmap_nested(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem;
	struct iosys_map map1, map2;
	unsigned int i, bad = 0;
	int ret;

	shmem = drm_gem_shmem_test_create(test, TEST_SIZE);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_vmap_locked(shmem, &map1);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_vmap_locked(shmem, &map2);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);

	KUNIT_EXPECT_PTR_EQ(test, map1.vaddr, map2.vaddr);
	KUNIT_EXPECT_EQ(test, vmap_count(shmem), 2);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_vunmap_locked(shmem, &map1);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, vmap_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 1);
	KUNIT_ASSERT_PTR_EQ(test, shmem->vaddr, map2.vaddr);

	/* The remaining user can still use its mapping. */
	iosys_map_memset(&map2, 0, TEST_BYTE, TEST_SIZE);
	for (i = 0; i < TEST_SIZE; i++)
		bad += iosys_map_rd(&map2, i, u8) != TEST_BYTE;
	KUNIT_EXPECT_EQ(test, bad, 0);

	/* A new user shares the remaining mapping. */
	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_vmap_locked(shmem, &map1);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_PTR_EQ(test, map1.vaddr, map2.vaddr);
	KUNIT_EXPECT_EQ(test, vmap_count(shmem), 2);

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_vunmap_locked(shmem, &map1);
	drm_gem_shmem_vunmap_locked(shmem, &map2);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_NULL(test, shmem->vaddr);
	KUNIT_EXPECT_EQ(test, vmap_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
	KUNIT_EXPECT_NULL(test, shmem->pages);
}

/*
 * Test exporting a scatter/gather table of pinned pages suitable for
 * PRIME usage from a shmem GEM object. The test case succeeds if a
 * scatter/gather table large enough to accommodate the backing memory
 * is successfully exported.
 */
static void drm_gem_shmem_test_get_sg_table(struct kunit *test)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;
	struct sg_table *sgt;
	struct scatterlist *sg;
	unsigned int si, len = 0;
	int ret;

	shmem = drm_gem_shmem_create(drm_dev, TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);

	ret = kunit_add_action_or_reset(test, drm_gem_shmem_free_wrapper, shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	ret = drm_gem_shmem_pin(shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	sgt = drm_gem_shmem_get_sg_table(shmem);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_EXPECT_NULL(test, shmem->sgt);

	ret = kunit_add_action_or_reset(test, kfree_wrapper, sgt);
	KUNIT_ASSERT_EQ(test, ret, 0);

	ret = kunit_add_action_or_reset(test, sg_free_table_wrapper, sgt);
	KUNIT_ASSERT_EQ(test, ret, 0);

	for_each_sgtable_sg(sgt, sg, si) {
		KUNIT_EXPECT_NOT_NULL(test, sg);
		len += sg->length;
	}

	KUNIT_EXPECT_GE(test, len, TEST_SIZE);

	drm_gem_shmem_unpin(shmem);
}

/*
 * Test populating pages and exporting a scatter/gather table suitable for
 * driver usage from a shmem GEM object. The test case succeeds if the
 * backing pages are present, the table holds one use reference but no
 * pin, it is cached, and it is large enough to accommodate the backing
 * memory.
 */
static void drm_gem_shmem_test_get_pages_sgt(struct kunit *test)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;
	struct sg_table *sgt;
	struct scatterlist *sg;
	unsigned int si, ret, len = 0;

	shmem = drm_gem_shmem_create(drm_dev, TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);

	ret = kunit_add_action_or_reset(test, drm_gem_shmem_free_wrapper, shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* The scatter/gather table will be freed by drm_gem_shmem_free */
	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_ASSERT_NOT_NULL(test, shmem->pages);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
	KUNIT_EXPECT_PTR_EQ(test, sgt, shmem->sgt);

	/* A second call returns the cached table and takes no reference. */
	KUNIT_EXPECT_PTR_EQ(test, drm_gem_shmem_get_pages_sgt(shmem), sgt);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);

	for_each_sgtable_sg(sgt, sg, si) {
		KUNIT_EXPECT_NOT_NULL(test, sg);
		len += sg->length;
	}

	KUNIT_EXPECT_GE(test, len, TEST_SIZE);
}

/*
 * Test that the scatter/gather table lives as long as the pages it maps.
 * Dropping the last use reference, the one of the table, releases the
 * pages and frees the table with them; the next
 * drm_gem_shmem_get_pages_sgt() populates pages again and builds a new
 * table. The test case succeeds if the table and the pages are gone after
 * the put, and the new table is cached, holds one use reference and maps
 * exactly the new pages.
 */
static void drm_gem_shmem_test_get_pages_sgt_rebuild(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem;
	struct sg_page_iter piter;
	struct sg_table *sgt;
	unsigned int n = 0, bad = 0;

	shmem = drm_gem_shmem_test_create(test, TEST_SIZE);

	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_put_pages_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_NULL(test, shmem->sgt);
	KUNIT_EXPECT_NULL(test, shmem->pages);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);

	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_ASSERT_NOT_NULL(test, shmem->pages);
	KUNIT_EXPECT_PTR_EQ(test, shmem->sgt, sgt);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);

	for_each_sgtable_page(sgt, &piter, 0) {
		if (n >= shmem->base.size >> PAGE_SHIFT ||
		    sg_page_iter_page(&piter) != shmem->pages[n])
			bad++;
		n++;
	}
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, n, shmem->base.size >> PAGE_SHIFT);
}

/*
 * Test updating the madvise state of a shmem GEM object. The test
 * case checks that the function for setting madv updates it only if
 * its current value is greater or equal than zero and returns false
 * if it has a negative value.
 */
static void drm_gem_shmem_test_madvise(struct kunit *test)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;
	int ret;

	shmem = drm_gem_shmem_create(drm_dev, TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);
	KUNIT_ASSERT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_WILLNEED);

	ret = kunit_add_action_or_reset(test, drm_gem_shmem_free_wrapper, shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_madvise_locked(shmem, 1);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_TRUE(test, ret);
	KUNIT_ASSERT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_DONTNEED);

	/* Set madv to a negative value */
	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_madvise_locked(shmem, -1);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_FALSE(test, ret);
	KUNIT_ASSERT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_PURGED);

	/* Check that madv cannot be set back to a positive value */
	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_madvise_locked(shmem, 0);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_FALSE(test, ret);
	KUNIT_ASSERT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_PURGED);
}

/*
 * Test the madvise state machine around a purge. The test case succeeds
 * if any positive value maps to DONTNEED and zero to WILLNEED, the object
 * is only purgeable while it is DONTNEED and backed, the purge is final
 * (madvise cannot undo it and reports the object as not retained), and a
 * purged object can no longer be populated: getting its pages, its
 * scatter/gather table or pinning it fails with -EINVAL and leaves the
 * counts untouched.
 */
static void drm_gem_shmem_test_madvise_purge(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem;
	struct sg_table *sgt;
	int ret;

	shmem = drm_gem_shmem_test_create(test, TEST_SIZE);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_madvise_locked(shmem, 5);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, ret, 1);
	KUNIT_EXPECT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_DONTNEED);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_madvise_locked(shmem, DRM_GEM_SHMEM_MADV_WILLNEED);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, ret, 1);
	KUNIT_EXPECT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_WILLNEED);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_get_pages_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_FALSE(test, drm_gem_shmem_is_purgeable(shmem));

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_madvise_locked(shmem, DRM_GEM_SHMEM_MADV_DONTNEED);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, ret, 1);
	KUNIT_ASSERT_TRUE(test, drm_gem_shmem_is_purgeable(shmem));

	/* Purging releases the pages but leaves our use reference alone. */
	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_purge_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_PURGED);
	KUNIT_EXPECT_NULL(test, shmem->pages);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_FALSE(test, drm_gem_shmem_is_purgeable(shmem));

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_madvise_locked(shmem, DRM_GEM_SHMEM_MADV_WILLNEED);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_PURGED);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_madvise_locked(shmem, DRM_GEM_SHMEM_MADV_DONTNEED);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_PURGED);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_get_pages_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);

	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(sgt), -EINVAL);

	ret = drm_gem_shmem_pin(shmem);
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);

	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_NULL(test, shmem->pages);
	KUNIT_EXPECT_NULL(test, shmem->sgt);

	/* With the pages gone, the last put only drops the count. */
	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_put_pages_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
}

/*
 * Test purging a shmem GEM object. First, assert that a newly created
 * shmem GEM object is not purgeable, and that it stays so after setting
 * madvise to a positive value as long as it has no pages. Then call
 * drm_gem_shmem_get_pages_sgt() to populate and dma-map the backing
 * pages, and check that a pin prevents purging. The test case succeeds if
 * the object is then purgeable, and purging it releases the pages, the
 * scatter/gather table and its use reference and marks it purged.
 */
static void drm_gem_shmem_test_purge(struct kunit *test)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;
	struct sg_table *sgt;
	int ret;

	shmem = drm_gem_shmem_create(drm_dev, TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);

	ret = kunit_add_action_or_reset(test, drm_gem_shmem_free_wrapper, shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	ret = drm_gem_shmem_is_purgeable(shmem);
	KUNIT_EXPECT_FALSE(test, ret);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_madvise_locked(shmem, 1);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_TRUE(test, ret);

	/* Without pages, there is nothing to purge. */
	ret = drm_gem_shmem_is_purgeable(shmem);
	KUNIT_EXPECT_FALSE(test, ret);

	/* The scatter/gather table will be freed by drm_gem_shmem_free */
	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);

	ret = drm_gem_shmem_is_purgeable(shmem);
	KUNIT_EXPECT_TRUE(test, ret);

	/* A pin prevents purging. */
	ret = drm_gem_shmem_pin(shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_FALSE(test, drm_gem_shmem_is_purgeable(shmem));
	drm_gem_shmem_unpin(shmem);
	KUNIT_EXPECT_TRUE(test, drm_gem_shmem_is_purgeable(shmem));

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_purge_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_NULL(test, shmem->pages);
	KUNIT_EXPECT_NULL(test, shmem->sgt);
	KUNIT_EXPECT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_PURGED);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
	KUNIT_EXPECT_FALSE(test, drm_gem_shmem_is_purgeable(shmem));
}

/*
 * Map @shmem into the user address space of the test through a DRM file,
 * the way userspace does with the fake offset of the object.
 */
static void __user *drm_gem_shmem_test_mmap(struct kunit *test,
					    struct drm_gem_shmem_object *shmem)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_file *file_priv;
	unsigned long addr;
	struct file *file;
	u32 handle;
	int ret;

	file = mock_drm_getfile(drm_dev->primary, O_RDWR);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, file);

	ret = kunit_add_action_or_reset(test, fput_wrapper, file);
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* A handle grants the file access to the fake offset. */
	file_priv = file->private_data;
	ret = drm_gem_handle_create(file_priv, &shmem->base, &handle);
	KUNIT_ASSERT_EQ(test, ret, 0);

	addr = kunit_vm_mmap(test, file, 0, shmem->base.size,
			     PROT_READ | PROT_WRITE, MAP_SHARED,
			     drm_vma_node_offset_addr(&shmem->base.vma_node));

	/* The mapping holds its own references on the file and the object. */
	drm_gem_handle_delete(file_priv, handle);

	KUNIT_ASSERT_NE_MSG(test, addr, 0, "could not create a user mm");
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(addr), "mmap failed: %ld",
			       (long)addr);

	return (void __user *)addr;
}

/*
 * Test a CPU mapping through a real user mapping of the DRM file. The
 * test case succeeds if mmap() takes a use reference without populating or
 * pinning the pages, the first access through the mapping populates them
 * from the fault handler, the data written through the user mapping reads
 * back through a kernel mapping (vmap) and through the user mapping, and
 * unmapping drops the use reference and releases the pages.
 */
static void drm_gem_shmem_test_mmap_fault(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem;
	struct iosys_map map;
	void __user *uptr;
	u8 *buf, *rbuf;
	int i, ret;

	buf = kunit_kmalloc(test, TEST_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	rbuf = kunit_kzalloc(test, TEST_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, rbuf);
	for (i = 0; i < TEST_SIZE; i++)
		buf[i] = (i >> PAGE_SHIFT) ^ i ^ TEST_BYTE;

	shmem = drm_gem_shmem_test_create_ref(test, TEST_SIZE);

	uptr = drm_gem_shmem_test_mmap(test, shmem);
	KUNIT_EXPECT_NULL(test, shmem->pages);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);

	ret = copy_to_user(uptr, buf, TEST_SIZE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_NOT_NULL(test, shmem->pages);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, pin_count(shmem), 0);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_vmap_locked(shmem, &map);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, memcmp(map.vaddr, buf, TEST_SIZE), 0);
	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_vunmap_locked(shmem, &map);
	dma_resv_unlock(shmem->base.resv);

	ret = copy_from_user(rbuf, uptr, TEST_SIZE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, memcmp(rbuf, buf, TEST_SIZE), 0);

	ret = vm_munmap((unsigned long)uptr, TEST_SIZE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
	KUNIT_EXPECT_NULL(test, shmem->pages);
}

/*
 * Test purging an object that is mapped to userspace. The test case
 * succeeds if the mapping, which only holds a use reference, does not
 * prevent the purge, the purge releases the pages while the mapping keeps
 * its use reference, a later access through the mapping fails (SIGBUS)
 * without repopulating the pages, and unmapping drops the last use
 * reference.
 */
static void drm_gem_shmem_test_mmap_purge_sigbus(struct kunit *test)
{
	struct drm_gem_shmem_object *shmem;
	void __user *uptr;
	u8 *buf;
	int ret;

	buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);

	shmem = drm_gem_shmem_test_create_ref(test, TEST_SIZE);

	uptr = drm_gem_shmem_test_mmap(test, shmem);

	ret = copy_to_user(uptr, buf, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_ASSERT_NOT_NULL(test, shmem->pages);

	dma_resv_lock(shmem->base.resv, NULL);
	ret = drm_gem_shmem_madvise_locked(shmem, DRM_GEM_SHMEM_MADV_DONTNEED);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_EQ(test, ret, 1);
	KUNIT_ASSERT_TRUE(test, drm_gem_shmem_is_purgeable(shmem));

	dma_resv_lock(shmem->base.resv, NULL);
	drm_gem_shmem_purge_locked(shmem);
	dma_resv_unlock(shmem->base.resv);
	KUNIT_EXPECT_NULL(test, shmem->pages);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 1);
	KUNIT_EXPECT_EQ(test, shmem->madv, DRM_GEM_SHMEM_MADV_PURGED);

	ret = copy_from_user(buf, uptr, PAGE_SIZE);
	KUNIT_EXPECT_NE(test, ret, 0);
	KUNIT_EXPECT_NULL(test, shmem->pages);

	ret = vm_munmap((unsigned long)uptr, TEST_SIZE);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, use_count(shmem), 0);
}

/*
 * Test dropping the last reference to an object from memory reclaim, as a
 * shrinker may do. Freeing must not take the reservation lock there:
 * lockdep orders dma_resv before fs_reclaim. The test case succeeds if an
 * object backed by pages and a dma-mapped scatter/gather table is freed
 * inside a simulated direct-reclaim section without a lockdep report.
 */
static void drm_gem_shmem_test_free_in_reclaim(struct kunit *test)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;
	unsigned int noreclaim_flag;
	bool lockdep_on = debug_locks;
	struct sg_table *sgt;
	int ret;

	shmem = drm_gem_shmem_create(drm_dev, TEST_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);

	ret = kunit_add_action_or_reset(test, drm_gem_object_put_wrapper,
					&shmem->base);
	KUNIT_ASSERT_EQ(test, ret, 0);

	sgt = drm_gem_shmem_get_pages_sgt(shmem);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	KUNIT_ASSERT_NOT_NULL(test, shmem->pages);

	/* We drop the reference ourselves, in reclaim. */
	kunit_remove_action(test, drm_gem_object_put_wrapper, &shmem->base);

	/* What __perform_reclaim() does around a shrinker */
	fs_reclaim_acquire(GFP_KERNEL);
	noreclaim_flag = memalloc_noreclaim_save();
	drm_gem_object_put(&shmem->base);
	memalloc_noreclaim_restore(noreclaim_flag);
	fs_reclaim_release(GFP_KERNEL);

	if (IS_ENABLED(CONFIG_PROVE_LOCKING) && lockdep_on)
		KUNIT_EXPECT_TRUE_MSG(test, debug_locks,
				      "lockdep reported a problem while freeing in reclaim");
}

static int drm_gem_shmem_test_init(struct kunit *test)
{
	struct device *dev;
	struct drm_device *drm_dev;
	int ret;

	/* Allocate a parent device */
	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);

	/*
	 * Set the DMA mask to 64-bits to avoid intermittent failures calling
	 * drm_gem_shmem_get_pages_sgt().
	 */
	ret = dma_set_mask(dev, DMA_BIT_MASK(64));
	KUNIT_ASSERT_EQ(test, ret, 0);

	/*
	 * The DRM core will automatically initialize the GEM core and create
	 * a DRM Memory Manager object which provides an address space pool
	 * for GEM objects allocation.
	 */
	drm_dev = __drm_kunit_helper_alloc_drm_device_with_driver(test, dev,
								  sizeof(*drm_dev), 0,
								  &drm_gem_shmem_test_driver);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, drm_dev);

	test->priv = drm_dev;

	return 0;
}

static struct kunit_case drm_gem_shmem_test_cases[] = {
	KUNIT_CASE(drm_gem_shmem_test_obj_create),
	KUNIT_CASE(drm_gem_shmem_test_obj_create_private),
	KUNIT_CASE(drm_gem_shmem_test_pin_pages),
	KUNIT_CASE(drm_gem_shmem_test_pin_nested),
	KUNIT_CASE(drm_gem_shmem_test_pin_lockless),
	KUNIT_CASE(drm_gem_shmem_test_unpin_underflow),
	KUNIT_CASE(drm_gem_shmem_test_pin_race_pinned),
	KUNIT_CASE(drm_gem_shmem_test_pin_race_unpinned),
	KUNIT_CASE(drm_gem_shmem_test_vmap),
	KUNIT_CASE(drm_gem_shmem_test_vmap_nested),
	KUNIT_CASE(drm_gem_shmem_test_get_sg_table),
	KUNIT_CASE(drm_gem_shmem_test_get_pages_sgt),
	KUNIT_CASE(drm_gem_shmem_test_get_pages_sgt_rebuild),
	KUNIT_CASE(drm_gem_shmem_test_madvise),
	KUNIT_CASE(drm_gem_shmem_test_madvise_purge),
	KUNIT_CASE(drm_gem_shmem_test_purge),
	KUNIT_CASE(drm_gem_shmem_test_mmap_fault),
	KUNIT_CASE(drm_gem_shmem_test_mmap_purge_sigbus),
	KUNIT_CASE(drm_gem_shmem_test_free_in_reclaim),
	{}
};

static struct kunit_suite drm_gem_shmem_suite = {
	.name = "drm_gem_shmem",
	.init = drm_gem_shmem_test_init,
	.test_cases = drm_gem_shmem_test_cases
};

kunit_test_suite(drm_gem_shmem_suite);

MODULE_DESCRIPTION("KUnit test suite for GEM objects backed by shmem buffers");
MODULE_LICENSE("GPL");

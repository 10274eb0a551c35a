// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit benchmarks for GEM objects backed by shmem buffers
 *
 * All cases are marked slow, so that regular test runs skip them; run them
 * with kunit.py --filter "speed<=slow". They report costs with kunit_info()
 * and only check that the measurements are sane, never their values.
 */

#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/sizes.h>

#include <kunit/test.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_kunit_helpers.h>

#define BENCH_SIZE		SZ_64K
#define BENCH_LOOPS		1000000

KUNIT_DEFINE_ACTION_WRAPPER(drm_gem_shmem_free_wrapper, drm_gem_shmem_free,
			    struct drm_gem_shmem_object *);

/* Pin and unpin an already pinned object through the lockless fast paths */
static u64 drm_gem_shmem_bench_pin_lockless(struct drm_gem_shmem_object *shmem,
					    unsigned int loops)
{
	u64 start = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < loops; i++) {
		if (drm_gem_shmem_pin(shmem))
			return 0;
		drm_gem_shmem_unpin(shmem);
	}

	return ktime_get_ns() - start;
}

/* Pin and unpin an already pinned object, taking the reservation lock each time */
static u64 drm_gem_shmem_bench_pin_locked(struct drm_gem_shmem_object *shmem,
					  unsigned int loops)
{
	u64 start = ktime_get_ns();
	unsigned int i;
	int ret;

	for (i = 0; i < loops; i++) {
		dma_resv_lock(shmem->base.resv, NULL);
		ret = drm_gem_shmem_pin_locked(shmem);
		dma_resv_unlock(shmem->base.resv);
		if (ret)
			return 0;

		dma_resv_lock(shmem->base.resv, NULL);
		drm_gem_shmem_unpin_locked(shmem);
		dma_resv_unlock(shmem->base.resv);
	}

	return ktime_get_ns() - start;
}

/*
 * Measure the cost of pinning and unpinning an object that is already
 * pinned, through the lockless path (drm_gem_shmem_pin() and
 * drm_gem_shmem_unpin()) and through the locked path (dma_resv_lock(),
 * drm_gem_shmem_pin_locked() and dma_resv_unlock(), and likewise for the
 * unpin). The test case succeeds if both measurements are above zero and
 * the object ends with its initial pin only; it reports the cost of each
 * path in ns per pin/unpin pair and their ratio in per mille.
 */
static void drm_gem_shmem_benchmark_pin_already_pinned(struct kunit *test)
{
	struct drm_device *drm_dev = test->priv;
	struct drm_gem_shmem_object *shmem;
	u64 lockless_ns, locked_ns;
	int ret;

	shmem = drm_gem_shmem_create(drm_dev, BENCH_SIZE);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, shmem);

	ret = kunit_add_action_or_reset(test, drm_gem_shmem_free_wrapper, shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	ret = drm_gem_shmem_pin(shmem);
	KUNIT_ASSERT_EQ(test, ret, 0);

	/* Warm up caches and lockdep's class tables */
	drm_gem_shmem_bench_pin_lockless(shmem, 1000);
	drm_gem_shmem_bench_pin_locked(shmem, 1000);

	lockless_ns = drm_gem_shmem_bench_pin_lockless(shmem, BENCH_LOOPS);
	locked_ns = drm_gem_shmem_bench_pin_locked(shmem, BENCH_LOOPS);

	KUNIT_EXPECT_GT(test, lockless_ns, 0);
	KUNIT_EXPECT_GT(test, locked_ns, 0);
	KUNIT_EXPECT_EQ(test, refcount_read(&shmem->pages_pin_count), 1);

	kunit_info(test, "pin+unpin of a pinned object, %u loops\n", BENCH_LOOPS);
	kunit_info(test, "lockless: %llu ns/op\n",
		   div_u64(lockless_ns, BENCH_LOOPS));
	kunit_info(test, "locked: %llu ns/op\n", div_u64(locked_ns, BENCH_LOOPS));
	if (locked_ns)
		kunit_info(test, "lockless/locked: %llu per mille\n",
			   div64_u64(lockless_ns * 1000, locked_ns));

	drm_gem_shmem_unpin(shmem);
}

static int drm_gem_shmem_benchmark_init(struct kunit *test)
{
	struct drm_device *drm_dev;
	struct device *dev;

	dev = drm_kunit_helper_alloc_device(test);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);

	drm_dev = __drm_kunit_helper_alloc_drm_device(test, dev, sizeof(*drm_dev),
						      0, DRIVER_GEM);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, drm_dev);

	test->priv = drm_dev;

	return 0;
}

static struct kunit_case drm_gem_shmem_benchmark_cases[] = {
	KUNIT_CASE_SLOW(drm_gem_shmem_benchmark_pin_already_pinned),
	{}
};

static struct kunit_suite drm_gem_shmem_benchmark_suite = {
	.name = "drm_gem_shmem_benchmark",
	.init = drm_gem_shmem_benchmark_init,
	.test_cases = drm_gem_shmem_benchmark_cases,
};

kunit_test_suite(drm_gem_shmem_benchmark_suite);

MODULE_DESCRIPTION("KUnit benchmarks for GEM objects backed by shmem buffers");
MODULE_LICENSE("GPL");

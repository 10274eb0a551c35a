// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit benchmarks for the GEM shrinker
 *
 * All cases are marked slow, so that regular test runs skip them; run them
 * with kunit.py --filter "speed<=slow". They report costs with kunit_info()
 * and only check that the code under test works, never how fast it is.
 *
 * The machine running them is noisy (QEMU TCG, other guests), so every case
 * compares variants measured in the same run: the measurements of the
 * variants are interleaved in rounds, and each variant is reported with the
 * minimum and the median of its rounds. Ratios are given in per mille.
 */

#include <linux/debug_locks.h>
#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/ww_mutex.h>

#include <kunit/device.h>
#include <kunit/test.h>

#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_exec.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_shmem_helper.h>
#include <drm/drm_gem_shrinker.h>
#include <drm/drm_kunit_helpers.h>

#define BENCH_MAX_ROUNDS	32

/* drm_gem_shrinker_benchmark_count */
#define COUNT_SMALL		100
#define COUNT_LARGE		100000
#define COUNT_CALLS		20000
#define COUNT_ROUNDS		21

/* drm_gem_shrinker_benchmark_scan_pinned */
#define SCAN_EVICTABLE		100
#define SCAN_PINNED		9900
#define SCAN_ROUNDS		31

/* drm_gem_shrinker_benchmark_validate */
#define VALIDATE_OBJS		16
#define VALIDATE_SIZE		SZ_64K
#define VALIDATE_JOBS		50
#define VALIDATE_ROUNDS		21
#define VALIDATE_LOCK_LOOPS	(VALIDATE_JOBS * VALIDATE_OBJS)
#define VALIDATE_INJECT_JOBS	16

static_assert(COUNT_ROUNDS <= BENCH_MAX_ROUNDS);
static_assert(SCAN_ROUNDS <= BENCH_MAX_ROUNDS);
static_assert(VALIDATE_ROUNDS <= BENCH_MAX_ROUNDS);

KUNIT_DEFINE_ACTION_WRAPPER(kvfree_wrapper, kvfree, const void *);

/* Per-round measurements of one variant */
struct bench_series {
	const char *name;
	u64 val[BENCH_MAX_ROUNDS];
	unsigned int nr;
};

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static void bench_add(struct bench_series *s, u64 val)
{
	if (s->nr < BENCH_MAX_ROUNDS)
		s->val[s->nr++] = val;
}

static u64 bench_min(const struct bench_series *s)
{
	u64 lo = U64_MAX;
	unsigned int i;

	for (i = 0; i < s->nr; i++)
		lo = min(lo, s->val[i]);

	return s->nr ? lo : 0;
}

static u64 bench_median(const struct bench_series *s)
{
	u64 sorted[BENCH_MAX_ROUNDS];

	if (!s->nr)
		return 0;

	memcpy(sorted, s->val, s->nr * sizeof(sorted[0]));
	sort(sorted, s->nr, sizeof(sorted[0]), bench_cmp_u64, NULL);

	return sorted[s->nr / 2];
}

/* Values are in ns per @div operations; prints ns per operation */
static void bench_report(struct kunit *test, const struct bench_series *s,
			 u64 div, const char *unit)
{
	u32 lo_frac, median_frac;
	u64 lo, median;

	/* One decimal */
	lo = div_u64_rem(div64_u64(bench_min(s) * 10, div), 10, &lo_frac);
	median = div_u64_rem(div64_u64(bench_median(s) * 10, div), 10,
			     &median_frac);

	kunit_info(test, "%s: min %llu.%u median %llu.%u %s (%u rounds)\n",
		   s->name, lo, lo_frac, median, median_frac, unit, s->nr);
}

static void bench_report_ratio(struct kunit *test, const struct bench_series *a,
			       const struct bench_series *b, const char *target)
{
	u64 min_b = bench_min(b), median_b = bench_median(b);

	if (!min_b || !median_b)
		return;

	kunit_info(test, "ratio %s/%s: min %llu median %llu per mille%s%s\n",
		   a->name, b->name, div64_u64(bench_min(a) * 1000, min_b),
		   div64_u64(bench_median(a) * 1000, median_b),
		   target ? ", target " : "", target ?: "");
}

static void bench_report_lockdep(struct kunit *test)
{
	if (IS_ENABLED(CONFIG_PROVE_LOCKING))
		kunit_info(test, "note: lockdep is enabled (CONFIG_PROVE_LOCKING=y, debug_locks=%d): every lock and unlock is validated, which makes lock-heavy paths far more expensive than in a production kernel\n",
			   debug_locks);
}

/* A DRM device with GEM on its own parent device, @name unique in the test */
static struct drm_device *bench_alloc_drm(struct kunit *test, const char *name)
{
	struct drm_device *drm;
	struct device *dev;
	int ret;

	dev = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);

	/* drm_gem_shmem_get_pages_sgt() dma-maps the pages */
	ret = dma_set_mask(dev, DMA_BIT_MASK(64));
	KUNIT_ASSERT_EQ(test, ret, 0);

	drm = __drm_kunit_helper_alloc_drm_device(test, dev, sizeof(*drm), 0,
						  DRIVER_GEM);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, drm);

	return drm;
}

/* A device whose shmem GEM objects are reclaimable, evicted if @evict */
static struct drm_device *bench_alloc_shmem_drm(struct kunit *test,
						const char *name, bool evict)
{
	struct drm_device *drm = bench_alloc_drm(test, name);
	int ret;

	ret = drmm_gem_shmem_init_shrinker(drm, NULL);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_ASSERT_NOT_NULL(test, drm->gem_shrinker);

	/* The KUnit VM has no swap */
	if (evict)
		drm_gem_shrinker_set_swap_pages(drm->gem_shrinker, LONG_MAX);

	return drm;
}

/*
 * drm_gem_shrinker_benchmark_count: fake objects without backing store. The
 * count never looks at them; real memory reclaim could scan them, and is
 * then declined.
 */
static int bench_fake_decline(struct drm_gem_object *obj,
			      struct drm_gem_lru_scan_ctx *ctx)
{
	return -EBUSY;
}

static const struct drm_gem_shrinker_funcs bench_fake_funcs = {
	.purge = bench_fake_decline,
	.evict = bench_fake_decline,
};

struct bench_fakes {
	struct drm_gem_object *objs;
	unsigned long nr;
};

static void bench_fakes_release(void *ptr)
{
	struct bench_fakes *fakes = ptr;
	unsigned long i;

	/* Takes them off the LRUs before the device and its shrinker go */
	for (i = 0; i < fakes->nr; i++) {
		drm_gem_object_release(&fakes->objs[i]);
		if (!(i % 1024))
			cond_resched();
	}
	fakes->nr = 0;
}

/*
 * A device with a GEM shrinker and @nr fake single-page objects, half of them
 * WILLNEED, half DONTNEED.
 */
static struct drm_gem_shrinker *bench_fake_populate(struct kunit *test,
						    const char *name,
						    unsigned long nr)
{
	struct drm_device *drm = bench_alloc_drm(test, name);
	struct drm_gem_shrinker *gs;
	struct bench_fakes *fakes;
	unsigned long i;
	int ret;

	gs = drmm_gem_shrinker_init(drm, &bench_fake_funcs);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, gs);
	drm_gem_shrinker_set_swap_pages(gs, LONG_MAX);

	fakes = kunit_kzalloc(test, sizeof(*fakes), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fakes);

	fakes->objs = kvcalloc(nr, sizeof(*fakes->objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fakes->objs);
	ret = kunit_add_action_or_reset(test, kvfree_wrapper, fakes->objs);
	KUNIT_ASSERT_EQ(test, ret, 0);
	ret = kunit_add_action_or_reset(test, bench_fakes_release, fakes);
	KUNIT_ASSERT_EQ(test, ret, 0);

	for (i = 0; i < nr; i++) {
		struct drm_gem_object *obj = &fakes->objs[i];

		drm_gem_private_object_init(drm, obj, PAGE_SIZE);
		fakes->nr++;

		dma_resv_lock(obj->resv, NULL);
		drm_gem_shrinker_update_state(obj, i & 1 ?
					      DRM_GEM_RECLAIM_DONTNEED :
					      DRM_GEM_RECLAIM_WILLNEED);
		dma_resv_unlock(obj->resv);

		if (!(i % 1024))
			cond_resched();
	}

	return gs;
}

static u64 bench_count(struct drm_gem_shrinker *gs, unsigned int calls,
		       unsigned long *sum)
{
	u64 start = ktime_get_ns();
	unsigned long total = 0;
	unsigned int i;

	for (i = 0; i < calls; i++)
		total += drm_gem_shrinker_count(gs, GFP_KERNEL);
	*sum = total;

	return ktime_get_ns() - start;
}

/*
 * Measure drm_gem_shrinker_count(), the &shrinker.count_objects of the GEM
 * shrinker, on a device with 100 objects and on one with 100,000 objects on
 * its LRUs (fake objects, half WILLNEED, half DONTNEED, eviction possible).
 * Each round times COUNT_CALLS calls on both devices, alternating which one
 * goes first. The test case succeeds if every call returns the number of
 * pages on the LRUs; it reports ns per call and the ratio 100k/100.
 */
static void drm_gem_shrinker_benchmark_count(struct kunit *test)
{
	struct bench_series small = { .name = "count-100" };
	struct bench_series large = { .name = "count-100000" };
	struct drm_gem_shrinker *gs_small, *gs_large;
	unsigned long sum_small, sum_large;
	unsigned int round;
	u64 start;

	start = ktime_get_ns();
	gs_small = bench_fake_populate(test, "count-small", COUNT_SMALL);
	gs_large = bench_fake_populate(test, "count-large", COUNT_LARGE);
	kunit_info(test, "setup of %u + %u objects: %llu ms\n", COUNT_SMALL,
		   COUNT_LARGE, div_u64(ktime_get_ns() - start, NSEC_PER_MSEC));

	KUNIT_ASSERT_EQ(test, drm_gem_shrinker_count(gs_small, GFP_KERNEL),
			(unsigned long)COUNT_SMALL);
	KUNIT_ASSERT_EQ(test, drm_gem_shrinker_count(gs_large, GFP_KERNEL),
			(unsigned long)COUNT_LARGE);

	/* Warm up */
	bench_count(gs_small, COUNT_CALLS / 10, &sum_small);
	bench_count(gs_large, COUNT_CALLS / 10, &sum_large);

	for (round = 0; round < COUNT_ROUNDS; round++) {
		u64 ns_small, ns_large;

		if (round & 1) {
			ns_large = bench_count(gs_large, COUNT_CALLS, &sum_large);
			ns_small = bench_count(gs_small, COUNT_CALLS, &sum_small);
		} else {
			ns_small = bench_count(gs_small, COUNT_CALLS, &sum_small);
			ns_large = bench_count(gs_large, COUNT_CALLS, &sum_large);
		}
		KUNIT_ASSERT_EQ(test, sum_small,
				(unsigned long)COUNT_SMALL * COUNT_CALLS);
		KUNIT_ASSERT_EQ(test, sum_large,
				(unsigned long)COUNT_LARGE * COUNT_CALLS);
		KUNIT_EXPECT_GT(test, ns_small, 0);
		KUNIT_EXPECT_GT(test, ns_large, 0);

		bench_add(&small, ns_small);
		bench_add(&large, ns_large);
		cond_resched();
	}

	kunit_info(test, "drm_gem_shrinker_count(GFP_KERNEL), %u calls per round\n",
		   COUNT_CALLS);
	bench_report(test, &small, COUNT_CALLS, "ns/call");
	bench_report(test, &large, COUNT_CALLS, "ns/call");
	bench_report_ratio(test, &large, &small, "within 10%");
}

/* shmem objects of one device, released before the device */
struct bench_shmem_set {
	struct drm_gem_shmem_object **objs;
	unsigned int nr;
	unsigned int max;
	bool pinned;
};

static void bench_shmem_set_release(void *ptr)
{
	struct bench_shmem_set *set = ptr;
	unsigned int i;

	for (i = 0; i < set->nr; i++) {
		struct drm_gem_shmem_object *shmem = set->objs[i];

		if (set->pinned) {
			drm_gem_shmem_unpin(shmem);
		} else {
			dma_resv_lock(shmem->base.resv, NULL);
			drm_gem_shmem_put_pages_locked(shmem);
			dma_resv_unlock(shmem->base.resv);
		}
		drm_gem_object_put(&shmem->base);

		if (!(i % 256))
			cond_resched();
	}
	set->nr = 0;
}

static struct bench_shmem_set *bench_shmem_set_alloc(struct kunit *test,
						     unsigned int max,
						     bool pinned)
{
	struct bench_shmem_set *set;
	int ret;

	set = kunit_kzalloc(test, sizeof(*set), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, set);

	set->objs = kunit_kcalloc(test, max, sizeof(*set->objs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, set->objs);
	set->max = max;
	set->pinned = pinned;

	ret = kunit_add_action_or_reset(test, bench_shmem_set_release, set);
	KUNIT_ASSERT_EQ(test, ret, 0);

	return set;
}

/* Add a resident object: pinned, or holding a use reference on its pages */
static int bench_shmem_set_add(struct bench_shmem_set *set,
			       struct drm_device *drm, size_t size)
{
	struct drm_gem_shmem_object *shmem;
	int ret;

	if (set->nr == set->max)
		return -ENOSPC;

	shmem = drm_gem_shmem_create(drm, size);
	if (IS_ERR(shmem))
		return PTR_ERR(shmem);

	if (set->pinned) {
		ret = drm_gem_shmem_pin(shmem);
	} else {
		dma_resv_lock(shmem->base.resv, NULL);
		ret = drm_gem_shmem_get_pages_locked(shmem);
		dma_resv_unlock(shmem->base.resv);
	}
	if (ret) {
		drm_gem_object_put(&shmem->base);
		return ret;
	}

	set->objs[set->nr++] = shmem;

	return 0;
}

/* Bring the evicted objects of @set back, then time a scan for all pages */
static int bench_scan_round(struct kunit *test, struct bench_shmem_set *set,
			    struct drm_gem_shrinker *gs, u64 *ns,
			    struct drm_gem_shrinker_scan_stats *stats)
{
	unsigned long count;
	unsigned int i;
	u64 start;
	int ret;

	for (i = 0; i < set->nr; i++) {
		struct drm_gem_shmem_object *shmem = set->objs[i];

		dma_resv_lock(shmem->base.resv, NULL);
		ret = drm_gem_shmem_swapin_locked(shmem);
		dma_resv_unlock(shmem->base.resv);
		if (ret)
			return ret;
	}

	/* Pinned objects are not reclaimable, so not counted */
	count = drm_gem_shrinker_count(gs, GFP_KERNEL);
	KUNIT_EXPECT_EQ(test, count, set->nr);

	start = ktime_get_ns();
	drm_gem_shrinker_shrink(gs, count, GFP_KERNEL, stats);
	*ns = ktime_get_ns() - start;

	KUNIT_EXPECT_EQ(test, stats->freed, count);
	KUNIT_EXPECT_EQ(test, stats->stage_freed[DRM_GEM_SHRINKER_EVICT_IDLE],
			count);
	if (!stats->freed)
		return -ENOMEM;

	return 0;
}

/*
 * Measure the cost of a shrinker scan per freed object, with and without
 * pinned objects on the device: device "unpinned" has SCAN_EVICTABLE idle
 * single-page WILLNEED objects, device "pinned" has as many plus SCAN_PINNED
 * pinned single-page objects (99% of its objects). The objects are created
 * interleaved, so that the evictable objects of both devices are spread alike
 * in memory. Each round makes the evictable objects of both devices resident
 * again (untimed), then times drm_gem_shrinker_shrink() for all their pages
 * on each device, alternating which one goes first. The test case succeeds
 * if each scan evicts all the evictable objects and counts none of the
 * pinned ones; it reports the ns per freed object and the ratio
 * pinned/unpinned.
 */
static void drm_gem_shrinker_benchmark_scan_pinned(struct kunit *test)
{
	struct bench_series unpinned = { .name = "scan-0%-pinned" };
	struct bench_series pinned = { .name = "scan-99%-pinned" };
	struct drm_gem_shrinker_scan_stats stats_a, stats_b;
	struct bench_shmem_set *set_a, *set_b, *set_pin;
	struct drm_device *drm_a, *drm_b;
	unsigned int i, round;
	u64 start;
	int ret;

	drm_a = bench_alloc_shmem_drm(test, "scan-unpinned", true);
	drm_b = bench_alloc_shmem_drm(test, "scan-pinned", true);
	if (!drm_gem_shrinker_can_evict(drm_a->gem_shrinker, GFP_KERNEL))
		kunit_skip(test, "eviction is disabled (drm.gem_shrinker_evict)");

	set_a = bench_shmem_set_alloc(test, SCAN_EVICTABLE, false);
	set_b = bench_shmem_set_alloc(test, SCAN_EVICTABLE, false);
	set_pin = bench_shmem_set_alloc(test, SCAN_PINNED, true);

	/*
	 * Mix the pinned objects in, 99 before each evictable one, and create
	 * the evictable objects of both devices together, so that they are
	 * spread alike in memory.
	 */
	start = ktime_get_ns();
	for (i = 0; i < SCAN_EVICTABLE + SCAN_PINNED; i++) {
		if (i % 100 == 99) {
			ret = bench_shmem_set_add(set_a, drm_a, PAGE_SIZE);
			KUNIT_ASSERT_EQ(test, ret, 0);
			ret = bench_shmem_set_add(set_b, drm_b, PAGE_SIZE);
		} else {
			ret = bench_shmem_set_add(set_pin, drm_b, PAGE_SIZE);
		}
		KUNIT_ASSERT_EQ(test, ret, 0);
		if (!(i % 256))
			cond_resched();
	}
	KUNIT_ASSERT_EQ(test, set_a->nr, SCAN_EVICTABLE);
	KUNIT_ASSERT_EQ(test, set_b->nr, SCAN_EVICTABLE);
	KUNIT_ASSERT_EQ(test, set_pin->nr, SCAN_PINNED);
	kunit_info(test, "setup of %u + %u + %u objects: %llu ms\n",
		   SCAN_EVICTABLE, SCAN_EVICTABLE, SCAN_PINNED,
		   div_u64(ktime_get_ns() - start, NSEC_PER_MSEC));

	/*
	 * Warm up. Objects that were used since they were put on the LRU get
	 * a second chance: the first scan only clears their mark. The second
	 * one evicts them, moving the pages to the page cache.
	 */
	for (i = 0; i < 2; i++) {
		drm_gem_shrinker_shrink(drm_a->gem_shrinker, SCAN_EVICTABLE,
					GFP_KERNEL, NULL);
		drm_gem_shrinker_shrink(drm_b->gem_shrinker, SCAN_EVICTABLE,
					GFP_KERNEL, NULL);
	}
	for (i = 0; i < 2; i++) {
		u64 ns;

		ret = bench_scan_round(test, set_a, drm_a->gem_shrinker, &ns,
				       &stats_a);
		KUNIT_ASSERT_EQ(test, ret, 0);
		ret = bench_scan_round(test, set_b, drm_b->gem_shrinker, &ns,
				       &stats_b);
		KUNIT_ASSERT_EQ(test, ret, 0);
	}

	for (round = 0; round < SCAN_ROUNDS; round++) {
		u64 ns_a, ns_b;

		if (round & 1) {
			ret = bench_scan_round(test, set_b, drm_b->gem_shrinker,
					       &ns_b, &stats_b);
			KUNIT_ASSERT_EQ(test, ret, 0);
			ret = bench_scan_round(test, set_a, drm_a->gem_shrinker,
					       &ns_a, &stats_a);
			KUNIT_ASSERT_EQ(test, ret, 0);
		} else {
			ret = bench_scan_round(test, set_a, drm_a->gem_shrinker,
					       &ns_a, &stats_a);
			KUNIT_ASSERT_EQ(test, ret, 0);
			ret = bench_scan_round(test, set_b, drm_b->gem_shrinker,
					       &ns_b, &stats_b);
			KUNIT_ASSERT_EQ(test, ret, 0);
		}

		/* The pinned objects are on an LRU that is never walked */
		KUNIT_EXPECT_EQ(test, stats_b.nr_scanned, stats_a.nr_scanned);

		bench_add(&unpinned, div64_u64(ns_a, stats_a.freed));
		bench_add(&pinned, div64_u64(ns_b, stats_b.freed));
		cond_resched();
	}

	kunit_info(test, "drm_gem_shrinker_shrink(all pages, GFP_KERNEL): freed %lu/%lu objects, scanned %lu/%lu pages (unpinned/pinned device)\n",
		   stats_a.freed, stats_b.freed, stats_a.nr_scanned,
		   stats_b.nr_scanned);
	bench_report(test, &unpinned, 1, "ns/freed object");
	bench_report(test, &pinned, 1, "ns/freed object");
	bench_report_ratio(test, &pinned, &unpinned, "within 20%");
	bench_report_lockdep(test);
}

/* drm_gem_shrinker_benchmark_validate: the objects of one job */
struct bench_job {
	struct drm_device *drm;
	struct drm_gem_shmem_object *objs[VALIDATE_OBJS];
	bool no_inject;
	unsigned long passes;
};

enum bench_validate_mode {
	/* 6.12: the cached sg_table of a resident object */
	BENCH_VALIDATE_BASE,
	/* With the shrinker: madv check, swap-in (marks it used), sg_table */
	BENCH_VALIDATE_NEW,
};

static int bench_validate_base(struct drm_gem_shmem_object *shmem)
{
	return PTR_ERR_OR_ZERO(drm_gem_shmem_get_pages_sgt_locked(shmem));
}

/* What "validating objects for a job" in the shmem helper DOC asks for */
static int bench_validate_new(struct drm_gem_shmem_object *shmem)
{
	int ret;

	if (shmem->madv != DRM_GEM_SHMEM_MADV_WILLNEED)
		return -EINVAL;

	ret = drm_gem_shmem_swapin_locked(shmem);
	if (ret)
		return ret;

	return PTR_ERR_OR_ZERO(drm_gem_shmem_get_pages_sgt_locked(shmem));
}

/* Lock, validate and unlock each object of @job in turn, @jobs times */
static u64 bench_validate_each(struct bench_job *job,
			       enum bench_validate_mode mode,
			       unsigned int jobs, int *err)
{
	u64 start = ktime_get_ns();
	unsigned int i, j;
	int ret;

	for (j = 0; j < jobs; j++) {
		for (i = 0; i < VALIDATE_OBJS; i++) {
			struct drm_gem_shmem_object *shmem = job->objs[i];

			dma_resv_lock(shmem->base.resv, NULL);
			if (mode == BENCH_VALIDATE_BASE)
				ret = bench_validate_base(shmem);
			else
				ret = bench_validate_new(shmem);
			dma_resv_unlock(shmem->base.resv);
			if (ret) {
				*err = ret;
				return 0;
			}
		}
	}

	return ktime_get_ns() - start;
}

/* One job: lock all objects with drm_exec, validate them, unlock them */
static int bench_exec_job(struct bench_job *job, enum bench_validate_mode mode)
{
	struct drm_gem_object *obj;
	struct drm_exec exec;
	unsigned int i;
	int ret = 0;

	drm_exec_init(&exec, 0, VALIDATE_OBJS);
	drm_exec_until_all_locked(&exec) {
		job->passes++;
#ifdef CONFIG_DEBUG_WW_MUTEX_SLOWPATH
		/* As test-ww_mutex.c does: no injected -EDEADLK */
		if (job->no_inject)
			exec.ticket.deadlock_inject_countdown = ~0U;
#endif
		for (i = 0; i < VALIDATE_OBJS; i++) {
			ret = drm_exec_lock_obj(&exec, &job->objs[i]->base);
			drm_exec_retry_on_contention(&exec);
			if (ret)
				goto out;
		}
	}

	drm_exec_for_each_locked_object(&exec, obj) {
		struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);

		if (mode == BENCH_VALIDATE_BASE)
			ret = bench_validate_base(shmem);
		else
			ret = bench_validate_new(shmem);
		if (ret)
			break;
	}

out:
	drm_exec_fini(&exec);
	return ret;
}

static u64 bench_validate_exec(struct bench_job *job,
			       enum bench_validate_mode mode,
			       unsigned int jobs, int *err)
{
	u64 start = ktime_get_ns();
	unsigned int j;
	int ret;

	for (j = 0; j < jobs; j++) {
		ret = bench_exec_job(job, mode);
		if (ret) {
			*err = ret;
			return 0;
		}
	}

	return ktime_get_ns() - start;
}

/* Reference costs of the locks involved */
static u64 bench_lock_resv(struct drm_gem_shmem_object *shmem,
			   unsigned int loops)
{
	u64 start = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < loops; i++) {
		dma_resv_lock(shmem->base.resv, NULL);
		dma_resv_unlock(shmem->base.resv);
	}

	return ktime_get_ns() - start;
}

static u64 bench_lock_lru(struct drm_device *drm, unsigned int loops)
{
	u64 start = ktime_get_ns();
	unsigned int i;

	for (i = 0; i < loops; i++) {
		mutex_lock(&drm->gem_lru_mutex);
		mutex_unlock(&drm->gem_lru_mutex);
	}

	return ktime_get_ns() - start;
}

static void bench_job_init(struct kunit *test, struct bench_job *job,
			   struct drm_device *drm)
{
	struct bench_shmem_set *set;
	unsigned int i;
	int ret;

	job->drm = drm;
	set = bench_shmem_set_alloc(test, VALIDATE_OBJS, false);

	for (i = 0; i < VALIDATE_OBJS; i++) {
		struct sg_table *sgt;

		ret = bench_shmem_set_add(set, drm, VALIDATE_SIZE);
		KUNIT_ASSERT_EQ(test, ret, 0);
		job->objs[i] = set->objs[i];

		/* Cache the sg_table, as a submit does: under the lock */
		dma_resv_lock(job->objs[i]->base.resv, NULL);
		sgt = drm_gem_shmem_get_pages_sgt_locked(job->objs[i]);
		dma_resv_unlock(job->objs[i]->base.resv);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, sgt);
	}
}

/* The variants of drm_gem_shrinker_benchmark_validate, in report order */
enum bench_validate_variant {
	BENCH_EACH_BASE,
	BENCH_EACH_NEW,
	BENCH_EXEC_BASE,
	BENCH_EXEC_NEW,
	BENCH_LOCK_RESV,
	BENCH_LOCK_LRU,
	BENCH_NR_VARIANTS,
};

static const char * const bench_validate_names[BENCH_NR_VARIANTS] = {
	[BENCH_EACH_BASE] = "each-base",
	[BENCH_EACH_NEW] = "each-new",
	[BENCH_EXEC_BASE] = "exec-base",
	[BENCH_EXEC_NEW] = "exec-new",
	[BENCH_LOCK_RESV] = "dma_resv_lock+unlock",
	[BENCH_LOCK_LRU] = "gem_lru_mutex lock+unlock",
};

static u64 bench_validate_run(struct bench_job *base, struct bench_job *new,
			      enum bench_validate_variant v, int *err)
{
	switch (v) {
	case BENCH_EACH_BASE:
		return bench_validate_each(base, BENCH_VALIDATE_BASE,
					   VALIDATE_JOBS, err);
	case BENCH_EACH_NEW:
		return bench_validate_each(new, BENCH_VALIDATE_NEW,
					   VALIDATE_JOBS, err);
	case BENCH_EXEC_BASE:
		return bench_validate_exec(base, BENCH_VALIDATE_BASE,
					   VALIDATE_JOBS, err);
	case BENCH_EXEC_NEW:
		return bench_validate_exec(new, BENCH_VALIDATE_NEW,
					   VALIDATE_JOBS, err);
	case BENCH_LOCK_RESV:
		return bench_lock_resv(new->objs[0], VALIDATE_LOCK_LOOPS);
	case BENCH_LOCK_LRU:
		return bench_lock_lru(new->drm, VALIDATE_LOCK_LOOPS);
	default:
		*err = -EINVAL;
		return 0;
	}
}

/*
 * Measure the validation of the resident objects of a job in a submit path,
 * as the 6.12 helpers allow it ("base", device without shrinker: the cached
 * sg_table) and as the shmem helper DOC "validating objects for a job" asks
 * for it ("new", device with the shrinker: reject non-WILLNEED objects,
 * drm_gem_shmem_swapin_locked(), which marks them used, then the cached
 * sg_table).
 * A job has VALIDATE_OBJS objects, each with a cached sg_table. The objects
 * are either locked, validated and unlocked one by one ("each"), or all
 * locked with drm_exec, validated and unlocked together ("exec"). The
 * variants are interleaved in rounds. The test case
 * succeeds if every validation succeeds and leaves the objects resident; it
 * reports ns per object validation, lock and unlock included, and the ratios
 * new/base, along with the cost of the locks involved.
 */
static void drm_gem_shrinker_benchmark_validate(struct kunit *test)
{
	const u64 per_round = VALIDATE_JOBS * VALIDATE_OBJS;
	struct bench_job *base, *new;
	struct bench_series *series;
	unsigned long inject_passes;
	unsigned int i, round;
	int err = 0;

	series = kunit_kcalloc(test, BENCH_NR_VARIANTS, sizeof(*series),
			       GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, series);
	for (i = 0; i < BENCH_NR_VARIANTS; i++)
		series[i].name = bench_validate_names[i];

	base = kunit_kzalloc(test, sizeof(*base), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, base);
	new = kunit_kzalloc(test, sizeof(*new), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, new);

	bench_job_init(test, base, bench_alloc_drm(test, "validate-base"));
	/* No eviction: real reclaim must leave the objects resident */
	bench_job_init(test, new, bench_alloc_shmem_drm(test, "validate-new",
							false));
	KUNIT_ASSERT_NULL(test, base->drm->gem_shrinker);

	/* Warm up, and count the drm_exec passes with -EDEADLK injection */
	bench_validate_exec(new, BENCH_VALIDATE_NEW, VALIDATE_INJECT_JOBS, &err);
	KUNIT_ASSERT_EQ(test, err, 0);
	inject_passes = new->passes;
	base->no_inject = true;
	new->no_inject = true;
	bench_validate_each(base, BENCH_VALIDATE_BASE, 1, &err);
	bench_validate_each(new, BENCH_VALIDATE_NEW, 1, &err);
	bench_validate_exec(base, BENCH_VALIDATE_BASE, 1, &err);
	bench_validate_exec(new, BENCH_VALIDATE_NEW, 1, &err);
	KUNIT_ASSERT_EQ(test, err, 0);
	base->passes = 0;
	new->passes = 0;

	for (round = 0; round < VALIDATE_ROUNDS; round++) {
		/* Rotate the order of the variants from round to round */
		for (i = 0; i < BENCH_NR_VARIANTS; i++) {
			enum bench_validate_variant v =
				(i + round) % BENCH_NR_VARIANTS;

			bench_add(&series[v],
				  bench_validate_run(base, new, v, &err));
			KUNIT_ASSERT_EQ(test, err, 0);
		}
		cond_resched();
	}

	/* Still resident, with their sg_tables, after all the validations */
	for (i = 0; i < VALIDATE_OBJS; i++) {
		KUNIT_EXPECT_NOT_NULL(test, base->objs[i]->sgt);
		KUNIT_EXPECT_NOT_NULL(test, new->objs[i]->sgt);
		KUNIT_EXPECT_NOT_NULL(test, new->objs[i]->pages);
	}

	kunit_info(test, "validation of %u resident objects per job, %u jobs per round, ns per object (lock and unlock included)\n",
		   VALIDATE_OBJS, VALIDATE_JOBS);
	for (i = BENCH_EACH_BASE; i <= BENCH_EXEC_NEW; i++)
		bench_report(test, &series[i], per_round, "ns/object");
	bench_report_ratio(test, &series[BENCH_EACH_NEW],
			   &series[BENCH_EACH_BASE], "<= 1100");
	bench_report_ratio(test, &series[BENCH_EXEC_NEW],
			   &series[BENCH_EXEC_BASE], "<= 1100");
	bench_report(test, &series[BENCH_LOCK_RESV], VALIDATE_LOCK_LOOPS,
		     "ns/pair");
	bench_report(test, &series[BENCH_LOCK_LRU], VALIDATE_LOCK_LOOPS,
		     "ns/pair");
	bench_report_lockdep(test);
	if (IS_ENABLED(CONFIG_DEBUG_WW_MUTEX_SLOWPATH))
		kunit_info(test, "note: CONFIG_DEBUG_WW_MUTEX_SLOWPATH=y injects -EDEADLK into ww_mutex locking (%lu drm_exec passes for %u jobs in the warm-up); the timed drm_exec jobs disable the injection (%lu passes for %u jobs)\n",
			   inject_passes, VALIDATE_INJECT_JOBS,
			   base->passes + new->passes,
			   2 * VALIDATE_ROUNDS * VALIDATE_JOBS);
}

static struct kunit_case drm_gem_shrinker_benchmark_cases[] = {
	KUNIT_CASE_SLOW(drm_gem_shrinker_benchmark_count),
	KUNIT_CASE_SLOW(drm_gem_shrinker_benchmark_scan_pinned),
	KUNIT_CASE_SLOW(drm_gem_shrinker_benchmark_validate),
	{}
};

static struct kunit_suite drm_gem_shrinker_benchmark_suite = {
	.name = "drm_gem_shrinker_benchmark",
	.test_cases = drm_gem_shrinker_benchmark_cases,
};

kunit_test_suite(drm_gem_shrinker_benchmark_suite);

MODULE_DESCRIPTION("KUnit benchmarks for the GEM shrinker");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
MODULE_LICENSE("GPL");

/* SPDX-License-Identifier: GPL-2.0 */

#ifndef __DRM_GEM_SHRINKER_H__
#define __DRM_GEM_SHRINKER_H__

#include <linux/atomic.h>
#include <linux/gfp_types.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include <drm/drm_gem.h>

struct drm_device;
struct shrinker;

/**
 * enum drm_gem_reclaim_state - Reclaim state of a GEM object
 *
 * Every object of a device with a GEM shrinker is in exactly one state. The
 * owner of the object (e.g. the shmem helpers) computes it under the
 * reservation lock and reports it with drm_gem_shrinker_update_state(); the
 * shrinker keeps one LRU per state that holds pages.
 */
enum drm_gem_reclaim_state {
	/**
	 * @DRM_GEM_RECLAIM_UNBACKED: No backing pages. Not on any LRU.
	 */
	DRM_GEM_RECLAIM_UNBACKED,

	/**
	 * @DRM_GEM_RECLAIM_PINNED: The pages must stay in memory (scanout,
	 * dma-buf export or import, kernel mapping, hardware-owned pages).
	 * Never reclaimed.
	 */
	DRM_GEM_RECLAIM_PINNED,

	/**
	 * @DRM_GEM_RECLAIM_WILLNEED: Backed, not pinned, contents needed. May
	 * be evicted to swap when eviction is possible.
	 */
	DRM_GEM_RECLAIM_WILLNEED,

	/**
	 * @DRM_GEM_RECLAIM_DONTNEED: Backed, not pinned, userspace marked the
	 * contents as not needed. May be purged.
	 */
	DRM_GEM_RECLAIM_DONTNEED,

	/**
	 * @DRM_GEM_RECLAIM_EVICTED: The pages were given back to the backing
	 * store (and possibly swap) and come back on the next use.
	 */
	DRM_GEM_RECLAIM_EVICTED,

	/**
	 * @DRM_GEM_RECLAIM_PURGED: The contents were discarded for good. Not
	 * on any LRU.
	 */
	DRM_GEM_RECLAIM_PURGED,
};

/**
 * enum drm_gem_shrinker_stage - Stages of a shrinker scan, cheapest first
 */
enum drm_gem_shrinker_stage {
	/** @DRM_GEM_SHRINKER_PURGE_IDLE: Purge idle DONTNEED objects. */
	DRM_GEM_SHRINKER_PURGE_IDLE,
	/** @DRM_GEM_SHRINKER_EVICT_IDLE: Evict idle WILLNEED objects. */
	DRM_GEM_SHRINKER_EVICT_IDLE,
	/**
	 * @DRM_GEM_SHRINKER_PURGE_BUSY: Wait a bounded time for busy
	 * DONTNEED objects, then purge them. Only when the caller may block.
	 */
	DRM_GEM_SHRINKER_PURGE_BUSY,
	/**
	 * @DRM_GEM_SHRINKER_EVICT_BUSY: Wait a bounded time for busy
	 * WILLNEED objects, then evict them. Only when the caller may block.
	 */
	DRM_GEM_SHRINKER_EVICT_BUSY,
	/** @DRM_GEM_SHRINKER_NR_STAGES: Number of stages. */
	DRM_GEM_SHRINKER_NR_STAGES,
};

/**
 * struct drm_gem_shrinker_funcs - Reclaim callbacks of a GEM shrinker
 *
 * @purge and @evict are called from memory reclaim, with the reservation
 * lock of @obj held (trylocked by the scan), the object idle (no unsignalled
 * fence of any usage, %DMA_RESV_USAGE_BOOKKEEP included) and a reference on
 * it. They must re-check the state of the object, which may have changed
 * between the LRU walk and the lock, and must not allocate memory with
 * direct reclaim, take a reservation lock without trylocking it or wake up a
 * runtime-suspended device. They may wait, for fences or for their device,
 * only for drm_gem_lru_scan_timeout() of @ctx: that is 0 in the idle stages
 * and what is left of the stage's budget in the busy ones.
 *
 * A driver whose teardown is asynchronous (it has to ask its device to let
 * go of the pages) works in two phases: it starts the teardown, and if it
 * did not complete within the timeout, returns -EBUSY and keeps the pages;
 * the object stays on its LRU, and on a later scan the callback finds the
 * teardown complete and releases them. It must remember that a teardown is
 * in flight, so that the next use of the object waits for it or undoes it.
 *
 * On success they release the backing pages and report the new state with
 * drm_gem_shrinker_update_state(), which moves the object off the LRU being
 * scanned.
 */
struct drm_gem_shrinker_funcs {
	/**
	 * @can_evict: Optional gate of the driver: whether WILLNEED objects
	 * may be evicted now (e.g. a module parameter of the driver). Called
	 * without locks by count and scan, from memory reclaim; it must be
	 * cheap and must not sleep. Purging is not gated.
	 */
	bool (*can_evict)(struct drm_device *dev);

	/**
	 * @purge: Discard the contents of a DONTNEED object.
	 *
	 * Returns 0 if the pages were released, -EBUSY if the driver declines
	 * the object for now (e.g. its device is runtime-suspended), or
	 * another negative error code.
	 */
	int (*purge)(struct drm_gem_object *obj,
		     struct drm_gem_lru_scan_ctx *ctx);

	/**
	 * @evict: Give the pages of a WILLNEED object back to the backing
	 * store, keeping the contents. The %DRM_GEM_LRU_SCAN_WRITEBACK flag of
	 * @ctx asks to start writing them to swap at once.
	 *
	 * Returns 0 if the pages were released, -EBUSY if the driver declines
	 * the object for now, or another negative error code.
	 */
	int (*evict)(struct drm_gem_object *obj,
		     struct drm_gem_lru_scan_ctx *ctx);

	/**
	 * @scan_end: Optional: called once at the end of a scan in which
	 * @purge or @evict was called, without locks held and still in
	 * memory reclaim, e.g. to notify the device once of all the commands
	 * the callbacks queued. The rules of @purge apply.
	 */
	void (*scan_end)(struct drm_device *dev);
};

/**
 * struct drm_gem_shrinker_scan_stats - Figures of one shrinker scan
 *
 * All sizes are in pages.
 */
struct drm_gem_shrinker_scan_stats {
	/** @nr_to_scan: Pages the caller asked for. */
	unsigned long nr_to_scan;
	/** @nr_scanned: Pages of all the objects looked at. */
	unsigned long nr_scanned;
	/** @freed: Pages released, all stages together. */
	unsigned long freed;
	/** @remaining: Pages left reclaimable: locked, busy or declined. */
	unsigned long remaining;
	/** @declined: Objects the driver declined with -EBUSY. */
	unsigned long declined;
	/** @waited: Objects whose fences the scan waited for. */
	unsigned long waited;
	/** @time_ns: Time the scan took. */
	u64 time_ns;
	/**
	 * @hook_ns: Time spent in the driver's callbacks, @scan_end
	 * included.
	 */
	u64 hook_ns;
	/** @stage_freed: Pages released per &enum drm_gem_shrinker_stage. */
	unsigned long stage_freed[DRM_GEM_SHRINKER_NR_STAGES];
	/** @stages_run: Bit mask of the stages that ran. */
	unsigned int stages_run;
	/** @ret: The value returned to the caller. */
	unsigned long ret;
};

/**
 * struct drm_gem_shrinker - Memory shrinker for the GEM objects of a device
 *
 * Created by drmm_gem_shrinker_init() and reached through
 * &drm_device.gem_shrinker. The LRUs and the objects on them are protected
 * by &drm_device.gem_lru_mutex; their page counts are read without it.
 */
struct drm_gem_shrinker {
	/** @dev: The device. */
	struct drm_device *dev;

	/** @funcs: Reclaim callbacks. */
	const struct drm_gem_shrinker_funcs *funcs;

	/**
	 * @shrinker: The memory shrinker registered with the core MM, NULL
	 * once drm_gem_shrinker_unregister() ran. Scans hold a reference.
	 */
	struct shrinker __rcu *shrinker;

	/** @pinned: LRU of %DRM_GEM_RECLAIM_PINNED objects. */
	struct drm_gem_lru pinned;

	/** @willneed: LRU of %DRM_GEM_RECLAIM_WILLNEED objects. */
	struct drm_gem_lru willneed;

	/** @dontneed: LRU of %DRM_GEM_RECLAIM_DONTNEED objects. */
	struct drm_gem_lru dontneed;

	/** @evicted: LRU of %DRM_GEM_RECLAIM_EVICTED objects. */
	struct drm_gem_lru evicted;

	/**
	 * @wait_kswapd_only: Wait for busy objects only in kswapd, never in
	 * direct reclaim (the policy of TTM). On by default: a task that
	 * allocates memory then never sleeps on a GPU fence, and under
	 * buffer eviction the allocation latency of unrelated tasks stays
	 * that of anonymous memory pressure (with waits in direct reclaim,
	 * their 99th percentile was up to 1.4 times that). A driver whose
	 * objects are busy most of the time, so that only waiting can
	 * reclaim them, may clear it after drmm_gem_shrinker_init(), unless
	 * its fence-signalling paths allocate memory with reclaim (a GPU
	 * fault handler that grows a heap would wait for the fence of the
	 * very job it serves).
	 */
	bool wait_kswapd_only;

	/** @purged_pages: Pages purged since the device was created. */
	atomic_long_t purged_pages;

	/** @evicted_pages: Pages evicted since the device was created. */
	atomic_long_t evicted_pages;

	/**
	 * @swapin_pages: Pages of evicted objects brought back, as reported
	 * with drm_gem_shrinker_account_swapin().
	 */
	atomic_long_t swapin_pages;

	/** @stats_lock: Protects @last_scan. */
	spinlock_t stats_lock;

	/** @last_scan: Figures of the last scan that looked at an object. */
	struct drm_gem_shrinker_scan_stats last_scan;
};

/**
 * DRM_GEM_SHRINKER_WAIT_JIFFIES - Default fence-wait budget of a busy stage
 */
#define DRM_GEM_SHRINKER_WAIT_JIFFIES	10

struct drm_gem_shrinker *
drmm_gem_shrinker_init(struct drm_device *dev,
		       const struct drm_gem_shrinker_funcs *funcs);

void drm_gem_shrinker_unregister(struct drm_gem_shrinker *gs);

void drm_gem_shrinker_update_state(struct drm_gem_object *obj,
				   enum drm_gem_reclaim_state state);
void drm_gem_shrinker_update_state_locked(struct drm_gem_object *obj,
					  enum drm_gem_reclaim_state state);
void drm_gem_shrinker_account_swapin(struct drm_gem_object *obj);

bool drm_gem_shrinker_can_evict(struct drm_gem_shrinker *gs, gfp_t gfp);

#if IS_ENABLED(CONFIG_KUNIT)
/*
 * For KUnit tests only (namespace EXPORTED_FOR_KUNIT_TESTING): the free swap
 * pages that count and scan assume, for machines without swap (evicted
 * pages then stay in the page cache of the backing store), or
 * DRM_GEM_SHRINKER_SWAP_AUTO for get_nr_swap_pages(); the fence-wait budget
 * of each busy stage.
 */
#define DRM_GEM_SHRINKER_SWAP_AUTO	(-1L)
void drm_gem_shrinker_set_swap_pages(struct drm_gem_shrinker *gs, long pages);
void drm_gem_shrinker_set_wait_jiffies(struct drm_gem_shrinker *gs,
				       unsigned long timeout);
#endif

unsigned long drm_gem_shrinker_count(struct drm_gem_shrinker *gs, gfp_t gfp);

unsigned long drm_gem_shrinker_shrink(struct drm_gem_shrinker *gs,
				      unsigned long nr_to_scan, gfp_t gfp,
				      struct drm_gem_shrinker_scan_stats *stats);

#endif /* __DRM_GEM_SHRINKER_H__ */

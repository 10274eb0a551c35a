/* SPDX-License-Identifier: GPL-2.0 */
#if !defined(_DRM_GEM_SHRINKER_TRACE_H_) || defined(TRACE_HEADER_MULTI_READ)
#define _DRM_GEM_SHRINKER_TRACE_H_

#include <linux/tracepoint.h>
#include <linux/types.h>

#include <drm/drm_device.h>

#undef TRACE_SYSTEM
#define TRACE_SYSTEM drm_gem_shrinker
#define TRACE_INCLUDE_FILE drm_gem_shrinker_trace

TRACE_EVENT(drm_gem_shrinker_count,
	    TP_PROTO(struct drm_device *dev, unsigned long dontneed,
		     unsigned long willneed, bool can_evict),
	    TP_ARGS(dev, dontneed, willneed, can_evict),
	    TP_STRUCT__entry(__string(dev, dev->unique)
			     __field(unsigned long, dontneed)
			     __field(unsigned long, willneed)
			     __field(bool, can_evict)
	    ),
	    TP_fast_assign(__assign_str(dev);
			   __entry->dontneed = dontneed;
			   __entry->willneed = willneed;
			   __entry->can_evict = can_evict;
	    ),
	    TP_printk("dev=%s dontneed=%lu willneed=%lu can_evict=%d",
		      __get_str(dev), __entry->dontneed, __entry->willneed,
		      __entry->can_evict)
);

TRACE_EVENT(drm_gem_shrinker_stage,
	    TP_PROTO(struct drm_device *dev, unsigned int stage,
		     unsigned long nr_to_scan, unsigned long freed,
		     unsigned long remaining),
	    TP_ARGS(dev, stage, nr_to_scan, freed, remaining),
	    TP_STRUCT__entry(__string(dev, dev->unique)
			     __field(unsigned int, stage)
			     __field(unsigned long, nr_to_scan)
			     __field(unsigned long, freed)
			     __field(unsigned long, remaining)
	    ),
	    TP_fast_assign(__assign_str(dev);
			   __entry->stage = stage;
			   __entry->nr_to_scan = nr_to_scan;
			   __entry->freed = freed;
			   __entry->remaining = remaining;
	    ),
	    TP_printk("dev=%s stage=%s nr_to_scan=%lu freed=%lu remaining=%lu",
		      __get_str(dev),
		      __print_symbolic(__entry->stage,
				       { 0, "purge_idle" },
				       { 1, "evict_idle" },
				       { 2, "purge_busy" },
				       { 3, "evict_busy" }),
		      __entry->nr_to_scan, __entry->freed, __entry->remaining)
);

TRACE_EVENT(drm_gem_shrinker_scan,
	    TP_PROTO(struct drm_device *dev, unsigned long nr_to_scan,
		     unsigned long nr_scanned, unsigned long freed,
		     unsigned long remaining, unsigned long ret),
	    TP_ARGS(dev, nr_to_scan, nr_scanned, freed, remaining, ret),
	    TP_STRUCT__entry(__string(dev, dev->unique)
			     __field(unsigned long, nr_to_scan)
			     __field(unsigned long, nr_scanned)
			     __field(unsigned long, freed)
			     __field(unsigned long, remaining)
			     __field(unsigned long, ret)
	    ),
	    TP_fast_assign(__assign_str(dev);
			   __entry->nr_to_scan = nr_to_scan;
			   __entry->nr_scanned = nr_scanned;
			   __entry->freed = freed;
			   __entry->remaining = remaining;
			   __entry->ret = ret;
	    ),
	    TP_printk("dev=%s nr_to_scan=%lu nr_scanned=%lu freed=%lu remaining=%lu ret=%ld",
		      __get_str(dev), __entry->nr_to_scan, __entry->nr_scanned,
		      __entry->freed, __entry->remaining, (long)__entry->ret)
);

TRACE_EVENT(drm_gem_shrinker_swapin,
	    TP_PROTO(struct drm_device *dev, unsigned long npages),
	    TP_ARGS(dev, npages),
	    TP_STRUCT__entry(__string(dev, dev->unique)
			     __field(unsigned long, npages)
	    ),
	    TP_fast_assign(__assign_str(dev);
			   __entry->npages = npages;
	    ),
	    TP_printk("dev=%s npages=%lu", __get_str(dev), __entry->npages)
);

#endif /* _DRM_GEM_SHRINKER_TRACE_H_ */

/* This part must be outside protection */
#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#include <trace/define_trace.h>

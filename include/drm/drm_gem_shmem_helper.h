/* SPDX-License-Identifier: GPL-2.0 */

#ifndef __DRM_GEM_SHMEM_HELPER_H__
#define __DRM_GEM_SHMEM_HELPER_H__

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/refcount.h>

#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_prime.h>

struct dma_buf_attachment;
struct drm_mode_create_dumb;
struct drm_printer;
struct sg_table;

/**
 * enum drm_gem_shmem_madv - madvise states of a shmem GEM object
 *
 * Values of &drm_gem_shmem_object.madv. They are owned by the helpers and
 * changed with drm_gem_shmem_madvise_locked() and drm_gem_shmem_purge_locked().
 */
enum drm_gem_shmem_madv {
	/**
	 * @DRM_GEM_SHMEM_MADV_PURGED: The contents were discarded by
	 * drm_gem_shmem_purge_locked(), or declared lost by a negative value
	 * passed to drm_gem_shmem_madvise_locked(). This state is final: the
	 * pages are never populated again, CPU faults raise SIGBUS.
	 */
	DRM_GEM_SHMEM_MADV_PURGED = -1,

	/**
	 * @DRM_GEM_SHMEM_MADV_WILLNEED: The contents are needed. The state of
	 * a new object.
	 */
	DRM_GEM_SHMEM_MADV_WILLNEED = 0,

	/**
	 * @DRM_GEM_SHMEM_MADV_DONTNEED: Userspace does not need the contents
	 * any more. The object may be purged while it is not pinned, see
	 * drm_gem_shmem_is_purgeable().
	 */
	DRM_GEM_SHMEM_MADV_DONTNEED = 1,
};

/**
 * struct drm_gem_shmem_object - GEM object backed by shmem
 *
 * Unless stated otherwise, all fields are protected by the reservation lock
 * of the GEM object, &drm_gem_object.resv. The three counters are refcount_t
 * so that under- and overflows are caught; only @pages_pin_count is also
 * changed without the reservation lock, see drm_gem_shmem_pin().
 */
struct drm_gem_shmem_object {
	/**
	 * @base: Base GEM object
	 */
	struct drm_gem_object base;

	/**
	 * @pages: Page table
	 *
	 * The backing pages, or NULL if the object is not backed. Pages may be
	 * absent while @pages_use_count is above zero: they have not been
	 * populated yet (drm_gem_shmem_mmap() does not allocate), or they were
	 * purged. They are (re)populated on demand under the reservation lock,
	 * by drm_gem_shmem_get_pages_locked() and by the CPU page-fault
	 * handler. The pages are present and stable while @pages_pin_count is
	 * above zero.
	 *
	 * Protected by the reservation lock.
	 */
	struct page **pages;

	/**
	 * @pages_use_count:
	 *
	 * Number of users that need the backing store: references taken with
	 * drm_gem_shmem_get_pages_locked(), the cached @sgt, each CPU mapping
	 * (VMA) created by drm_gem_shmem_mmap(), and the pins (all pins
	 * together hold one use reference, see @pages_pin_count). The pages
	 * are released when the count drops to zero. A use reference does not
	 * keep the pages in memory: they may be absent while the count is
	 * above zero and are brought back on the next use.
	 *
	 * Protected by the reservation lock.
	 */
	refcount_t pages_use_count;

	/**
	 * @pages_pin_count:
	 *
	 * Number of hard pins: drm_gem_shmem_pin(), drm_gem_shmem_vmap_locked()
	 * (one pin for all vmap users), dma-buf export attachments through
	 * &drm_gem_object_funcs.pin, and driver-owned pages such as heap
	 * objects. While the count is above zero the pages are present and
	 * the object is never evicted or purged. The 0 -> 1 transition takes a
	 * use reference and populates the pages, the 1 -> 0 transition drops
	 * it again.
	 *
	 * The 0 <-> 1 transitions happen under the reservation lock; pinning an
	 * already pinned object and dropping a pin that is not the last one
	 * are lockless, see drm_gem_shmem_pin() and drm_gem_shmem_unpin().
	 */
	refcount_t pages_pin_count;

	/**
	 * @madv: State for madvise
	 *
	 * A value of &enum drm_gem_shmem_madv: %DRM_GEM_SHMEM_MADV_WILLNEED
	 * (the default), %DRM_GEM_SHMEM_MADV_DONTNEED or
	 * %DRM_GEM_SHMEM_MADV_PURGED. Owned by the helpers: drivers change it
	 * with drm_gem_shmem_madvise_locked(). Purged is a final state.
	 *
	 * Protected by the reservation lock.
	 */
	int madv;

	/**
	 * @madv_list: List entry for madvise tracking
	 *
	 * Typically used by drivers to track purgeable objects
	 */
	struct list_head madv_list;

	/**
	 * @sgt: Scatter/gather table
	 *
	 * For imported PRIME buffers, the table of the import. For native
	 * objects, the dma-mapped table cached by drm_gem_shmem_get_pages_sgt().
	 * It lives as long as the pages it maps: it holds one reference on
	 * @pages_use_count while it exists, it is freed when the pages go
	 * away (last use reference dropped, purge) and rebuilt by the next
	 * drm_gem_shmem_get_pages_sgt().
	 *
	 * Protected by the reservation lock.
	 */
	struct sg_table *sgt;

	/**
	 * @vaddr: Kernel virtual address of the backing memory
	 *
	 * Valid while @vmap_use_count is above zero. Protected by the
	 * reservation lock.
	 */
	void *vaddr;

	/**
	 * @vmap_use_count:
	 *
	 * Number of users of the kernel virtual mapping @vaddr. The first
	 * drm_gem_shmem_vmap_locked() pins the pages and maps them, the last
	 * drm_gem_shmem_vunmap_locked() unmaps them and drops the pin.
	 *
	 * Protected by the reservation lock.
	 */
	refcount_t vmap_use_count;

	/**
	 * @evicted:
	 *
	 * The pages were given back to the shmem file (and possibly swap) by
	 * drm_gem_shmem_evict_locked(), keeping the contents; they come back
	 * on the next use, and the flag is cleared then. An evicted object
	 * stays evicted when its last use reference is dropped, and is no
	 * longer evicted once purged.
	 *
	 * Protected by the reservation lock. Not a bit field: drivers write
	 * the flags below without it.
	 */
	bool evicted;

	/**
	 * @pages_mark_accessed_on_put:
	 *
	 * Mark pages as accessed when they are put.
	 */
	bool pages_mark_accessed_on_put : 1;

	/**
	 * @map_wc: map object write-combined (instead of using shmem defaults).
	 */
	bool map_wc : 1;
};

#define to_drm_gem_shmem_obj(obj) \
	container_of(obj, struct drm_gem_shmem_object, base)

struct drm_gem_shmem_object *drm_gem_shmem_create(struct drm_device *dev, size_t size);
void drm_gem_shmem_free(struct drm_gem_shmem_object *shmem);

int drm_gem_shmem_get_pages_locked(struct drm_gem_shmem_object *shmem);
void drm_gem_shmem_put_pages_locked(struct drm_gem_shmem_object *shmem);
int drm_gem_shmem_pin(struct drm_gem_shmem_object *shmem);
void drm_gem_shmem_unpin(struct drm_gem_shmem_object *shmem);
int drm_gem_shmem_vmap_locked(struct drm_gem_shmem_object *shmem,
			      struct iosys_map *map);
void drm_gem_shmem_vunmap_locked(struct drm_gem_shmem_object *shmem,
				 struct iosys_map *map);
int drm_gem_shmem_mmap(struct drm_gem_shmem_object *shmem, struct vm_area_struct *vma);

int drm_gem_shmem_pin_locked(struct drm_gem_shmem_object *shmem);
void drm_gem_shmem_unpin_locked(struct drm_gem_shmem_object *shmem);

int drm_gem_shmem_madvise_locked(struct drm_gem_shmem_object *shmem, int madv);

/**
 * drm_gem_shmem_is_purgeable - Test whether a shmem GEM object can be purged
 * @shmem: shmem GEM object
 *
 * An object is purgeable when userspace marked it
 * %DRM_GEM_SHMEM_MADV_DONTNEED, it is not pinned (which includes vmap), it is
 * backed by pages or was evicted (purging then frees its swap), and it is
 * neither exported nor imported through dma-buf.
 * CPU mappings do not prevent purging: drm_gem_shmem_purge_locked() unmaps
 * them.
 *
 * Context: The answer is only stable while the reservation lock is held.
 *
 * Returns:
 * True if drm_gem_shmem_purge_locked() may be called, false otherwise.
 */
static inline bool drm_gem_shmem_is_purgeable(struct drm_gem_shmem_object *shmem)
{
	return shmem->madv == DRM_GEM_SHMEM_MADV_DONTNEED &&
		!refcount_read(&shmem->pages_pin_count) &&
		(shmem->pages || shmem->evicted) &&
		!shmem->base.dma_buf && !shmem->base.import_attach;
}

void drm_gem_shmem_purge_locked(struct drm_gem_shmem_object *shmem);

/**
 * drm_gem_shmem_is_evictable - Test whether a shmem GEM object can be evicted
 * @shmem: shmem GEM object
 *
 * An object is evictable when its contents are needed
 * (%DRM_GEM_SHMEM_MADV_WILLNEED), it is backed by pages, it is not pinned
 * (which includes vmap), and it is neither exported nor imported through
 * dma-buf. CPU mappings do not prevent eviction: drm_gem_shmem_evict_locked()
 * unmaps them and the next CPU access faults the pages back in.
 *
 * Context: The answer is only stable while the reservation lock is held.
 *
 * Returns:
 * True if drm_gem_shmem_evict_locked() may be called, false otherwise.
 */
static inline bool drm_gem_shmem_is_evictable(struct drm_gem_shmem_object *shmem)
{
	return shmem->madv == DRM_GEM_SHMEM_MADV_WILLNEED &&
		!refcount_read(&shmem->pages_pin_count) && shmem->pages &&
		!shmem->base.dma_buf && !shmem->base.import_attach;
}

int drm_gem_shmem_evict_locked(struct drm_gem_shmem_object *shmem);
int drm_gem_shmem_swapin_locked(struct drm_gem_shmem_object *shmem);
/**
 * struct drm_gem_shmem_shrinker_funcs - Driver hooks of the shmem GEM shrinker
 *
 * Given to drmm_gem_shmem_init_shrinker(). @purge and @evict are called from
 * memory reclaim, before the helpers release the pages of an idle object,
 * with its reservation lock held and @ctx of the scan (see
 * &drm_gem_shrinker_funcs for what they may do, and for how long they may
 * wait: drm_gem_lru_scan_timeout()). They tear down what the driver set up
 * on the pages (GPU page tables, a host's view of them) and return 0, or
 * return -EBUSY to keep the object for now. Every hook is optional.
 */
struct drm_gem_shmem_shrinker_funcs {
	/**
	 * @can_evict: Whether WILLNEED objects may be evicted now; see
	 * &drm_gem_shrinker_funcs.can_evict.
	 */
	bool (*can_evict)(struct drm_device *dev);

	/**
	 * @purge: Before the contents of a DONTNEED object are discarded.
	 * The object is gone for the GPU for good.
	 */
	int (*purge)(struct drm_gem_shmem_object *shmem,
		     struct drm_gem_lru_scan_ctx *ctx);

	/**
	 * @evict: Before the pages of a WILLNEED object go back to the shmem
	 * file. The object comes back on its next use, see
	 * drm_gem_shmem_swapin_locked(); the sg_table the driver may have
	 * cached is freed with the pages.
	 */
	int (*evict)(struct drm_gem_shmem_object *shmem,
		     struct drm_gem_lru_scan_ctx *ctx);

	/**
	 * @scan_end: Once at the end of a scan that called @purge or
	 * @evict; see &drm_gem_shrinker_funcs.scan_end.
	 */
	void (*scan_end)(struct drm_device *dev);
};

int drmm_gem_shmem_init_shrinker(struct drm_device *dev,
				 const struct drm_gem_shmem_shrinker_funcs *funcs);

struct sg_table *drm_gem_shmem_get_sg_table(struct drm_gem_shmem_object *shmem);
struct sg_table *drm_gem_shmem_get_pages_sgt_locked(struct drm_gem_shmem_object *shmem);
struct sg_table *drm_gem_shmem_get_pages_sgt(struct drm_gem_shmem_object *shmem);

enum drm_gem_object_status drm_gem_shmem_object_status(struct drm_gem_object *obj);
void drm_gem_shmem_print_info(const struct drm_gem_shmem_object *shmem,
			      struct drm_printer *p, unsigned int indent);

extern const struct vm_operations_struct drm_gem_shmem_vm_ops;

/*
 * GEM object functions
 */

/**
 * drm_gem_shmem_object_free - GEM object function for drm_gem_shmem_free()
 * @obj: GEM object to free
 *
 * This function wraps drm_gem_shmem_free(). Drivers that employ the shmem helpers
 * should use it as their &drm_gem_object_funcs.free handler.
 */
static inline void drm_gem_shmem_object_free(struct drm_gem_object *obj)
{
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);

	drm_gem_shmem_free(shmem);
}

/**
 * drm_gem_shmem_object_print_info() - Print &drm_gem_shmem_object info for debugfs
 * @p: DRM printer
 * @indent: Tab indentation level
 * @obj: GEM object
 *
 * This function wraps drm_gem_shmem_print_info(). Drivers that employ the shmem helpers should
 * use this function as their &drm_gem_object_funcs.print_info handler.
 */
static inline void drm_gem_shmem_object_print_info(struct drm_printer *p, unsigned int indent,
						   const struct drm_gem_object *obj)
{
	const struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);

	drm_gem_shmem_print_info(shmem, p, indent);
}

/**
 * drm_gem_shmem_object_pin - GEM object function for drm_gem_shmem_pin_locked()
 * @obj: GEM object
 *
 * This function wraps drm_gem_shmem_pin_locked(). Drivers that employ the shmem
 * helpers should use it as their &drm_gem_object_funcs.pin handler.
 *
 * Context: Reservation lock held (drm_gem_pin() takes it).
 *
 * Returns:
 * 0 on success or a negative error code on failure.
 */
static inline int drm_gem_shmem_object_pin(struct drm_gem_object *obj)
{
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);

	return drm_gem_shmem_pin_locked(shmem);
}

/**
 * drm_gem_shmem_object_unpin - GEM object function for drm_gem_shmem_unpin_locked()
 * @obj: GEM object
 *
 * This function wraps drm_gem_shmem_unpin_locked(). Drivers that employ the shmem
 * helpers should use it as their &drm_gem_object_funcs.unpin handler.
 *
 * Context: Reservation lock held (drm_gem_unpin() takes it).
 */
static inline void drm_gem_shmem_object_unpin(struct drm_gem_object *obj)
{
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);

	drm_gem_shmem_unpin_locked(shmem);
}

/**
 * drm_gem_shmem_object_get_sg_table - GEM object function for drm_gem_shmem_get_sg_table()
 * @obj: GEM object
 *
 * This function wraps drm_gem_shmem_get_sg_table(). Drivers that employ the shmem helpers should
 * use it as their &drm_gem_object_funcs.get_sg_table handler.
 *
 * Returns:
 * A pointer to the scatter/gather table of pinned pages or error pointer on failure.
 */
static inline struct sg_table *drm_gem_shmem_object_get_sg_table(struct drm_gem_object *obj)
{
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);

	return drm_gem_shmem_get_sg_table(shmem);
}

/**
 * drm_gem_shmem_object_vmap - GEM object function for drm_gem_shmem_vmap_locked()
 * @obj: GEM object
 * @map: Returns the kernel virtual address of the SHMEM GEM object's backing store.
 *
 * This function wraps drm_gem_shmem_vmap_locked(). Drivers that employ the shmem
 * helpers should use it as their &drm_gem_object_funcs.vmap handler.
 *
 * Context: Reservation lock held (drm_gem_vmap() asserts it).
 *
 * Returns:
 * 0 on success or a negative error code on failure.
 */
static inline int drm_gem_shmem_object_vmap(struct drm_gem_object *obj,
					    struct iosys_map *map)
{
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);

	return drm_gem_shmem_vmap_locked(shmem, map);
}

/**
 * drm_gem_shmem_object_vunmap - GEM object function for drm_gem_shmem_vunmap_locked()
 * @obj: GEM object
 * @map: Kernel virtual address where the SHMEM GEM object was mapped
 *
 * This function wraps drm_gem_shmem_vunmap_locked(). Drivers that employ the shmem
 * helpers should use it as their &drm_gem_object_funcs.vunmap handler.
 *
 * Context: Reservation lock held (drm_gem_vunmap() asserts it).
 */
static inline void drm_gem_shmem_object_vunmap(struct drm_gem_object *obj,
					       struct iosys_map *map)
{
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);

	drm_gem_shmem_vunmap_locked(shmem, map);
}

/**
 * drm_gem_shmem_object_mmap - GEM object function for drm_gem_shmem_mmap()
 * @obj: GEM object
 * @vma: VMA for the area to be mapped
 *
 * This function wraps drm_gem_shmem_mmap(). Drivers that employ the shmem helpers should
 * use it as their &drm_gem_object_funcs.mmap handler.
 *
 * Returns:
 * 0 on success or a negative error code on failure.
 */
static inline int drm_gem_shmem_object_mmap(struct drm_gem_object *obj, struct vm_area_struct *vma)
{
	struct drm_gem_shmem_object *shmem = to_drm_gem_shmem_obj(obj);

	return drm_gem_shmem_mmap(shmem, vma);
}

/*
 * Driver ops
 */

struct drm_gem_object *
drm_gem_shmem_prime_import_sg_table(struct drm_device *dev,
				    struct dma_buf_attachment *attach,
				    struct sg_table *sgt);
int drm_gem_shmem_dumb_create(struct drm_file *file, struct drm_device *dev,
			      struct drm_mode_create_dumb *args);

/**
 * DRM_GEM_SHMEM_DRIVER_OPS - Default shmem GEM operations
 *
 * This macro provides a shortcut for setting the shmem GEM operations in
 * the &drm_driver structure.
 */
#define DRM_GEM_SHMEM_DRIVER_OPS \
	.gem_prime_import_sg_table = drm_gem_shmem_prime_import_sg_table, \
	.dumb_create		   = drm_gem_shmem_dumb_create

#endif /* __DRM_GEM_SHMEM_HELPER_H__ */

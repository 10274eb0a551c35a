/*
 * Copyright (C) 2015 Red Hat, Inc.
 * All Rights Reserved.
 *
 * Permission is hereby granted, free of charge, to any person obtaining
 * a copy of this software and associated documentation files (the
 * "Software"), to deal in the Software without restriction, including
 * without limitation the rights to use, copy, modify, merge, publish,
 * distribute, sublicense, and/or sell copies of the Software, and to
 * permit persons to whom the Software is furnished to do so, subject to
 * the following conditions:
 *
 * The above copyright notice and this permission notice (including the
 * next paragraph) shall be included in all copies or substantial
 * portions of the Software.
 *
 * THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND,
 * EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
 * MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT.
 * IN NO EVENT SHALL THE COPYRIGHT OWNER(S) AND/OR ITS SUPPLIERS BE
 * LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION
 * OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION
 * WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
 */

#include <linux/dma-mapping.h>
#include <linux/moduleparam.h>

#include "virtgpu_drv.h"

static int virtio_gpu_virglrenderer_workaround = 1;
module_param_named(virglhack, virtio_gpu_virglrenderer_workaround, int, 0400);

static bool virtio_gpu_attach_at_create;
module_param_named(attach_at_create, virtio_gpu_attach_at_create, bool, 0400);
MODULE_PARM_DESC(attach_at_create,
		 "Attach the backing of new resources when they are created, not on first use (for hosts that need it)");

/**
 * DOC: memory reclaim
 *
 * The guest pages of a shmem object that is not a blob are reclaimable: the
 * device opts in to the GEM shmem shrinker, which evicts idle objects to swap
 * and purges idle objects that userspace marked with
 * %VIRTGPU_MADV_DONTNEED (&DRM_IOCTL_VIRTGPU_MADVISE).
 *
 * The host keeps the guest addresses of the backing pages from
 * RESOURCE_ATTACH_BACKING until RESOURCE_DETACH_BACKING, so the pages may
 * only go once the host acknowledged the detach. Before it releases the
 * pages, the shrinker calls virtio_gpu_object_evict(), in memory reclaim and
 * with the reservation lock held. The eviction has two phases: the hook
 * queues a fenced DETACH_BACKING without allocating with reclaim or waiting
 * for room in the ring, and waits for the host's answer only as long as the
 * stage of the scan allows (drm_gem_lru_scan_timeout(): not at all in the
 * idle stages, and one budget for all the objects of a busy stage). Without
 * an answer by then the object keeps its pages and the hook declines it
 * with -EBUSY; the DETACH_BACKING stays queued, so the object counts as
 * detached from then on, and a later scan finds the fence signalled and
 * lets the pages go. The host hears of the detaches of a scan at once, at
 * its end (virtio_gpu_shrinker_scan_end()), unless a hook has to wait.
 *
 * A purge also releases the host resource. Its RESOURCE_UNREF command is
 * allocated with the object, as is the one the free path sends, so that
 * neither a purge nor freeing allocates, and neither waits for room in the
 * ring: a command that finds the ring full goes out from the dequeue work
 * once the host made room. The host thus gets every RESOURCE_UNREF, and its
 * memory back (QEMU's max_hostmem), whatever reclaim runs into.
 *
 * The backing is attached lazily, also the first time: objects are created
 * without one, and every path that lets the host touch the pages calls
 * virtio_gpu_object_prepare_locked() with the reservation locks held before
 * it queues its command: execbuffer, transfers to and from the host, and
 * pinning for scanout and dma-buf export. It rejects objects marked
 * DONTNEED or purged with -EINVAL, brings evicted pages back, queues
 * RESOURCE_ATTACH_BACKING with the new pages and marks the object as used.
 * The host processes the control queue in order, so an attach queued after
 * a pending detach wins. The command that follows adds its fence to the
 * reservation, which keeps the shrinker away until the host is done.
 *
 * Hosts see a resource whose backing arrives after its creation, and goes
 * and comes back; the virtio-gpu specification allows both. QEMU (2D and
 * virgl) and virglrenderer accept ATTACH_BACKING and DETACH_BACKING at any
 * time and only fail commands that need a backing without one (transfers,
 * SET_SCANOUT), which the driver never sends so. For a host that needs the
 * backing from the start, the ``attach_at_create`` module parameter attaches
 * it when the resource is created, as before; eviction still detaches it.
 *
 * Blobs are pinned for their whole life: the host may map their pages for
 * good. Scanout buffers are pinned while they are displayed, and exported
 * buffers while the dma-buf exists; marking such a buffer DONTNEED takes
 * effect once it is neither (see virtio_gpu_gem_pin()).
 */

int virtio_gpu_resource_id_get(struct virtio_gpu_device *vgdev, uint32_t *resid)
{
	if (virtio_gpu_virglrenderer_workaround) {
		/*
		 * Hack to avoid re-using resource IDs.
		 *
		 * virglrenderer versions up to (and including) 0.7.0
		 * can't deal with that.  virglrenderer commit
		 * "f91a9dd35715 Fix unlinking resources from hash
		 * table." (Feb 2019) fixes the bug.
		 */
		static atomic_t seqno = ATOMIC_INIT(0);
		int handle = atomic_inc_return(&seqno);
		*resid = handle + 1;
	} else {
		int handle = ida_alloc(&vgdev->resource_ida, GFP_KERNEL);
		if (handle < 0)
			return handle;
		*resid = handle + 1;
	}
	return 0;
}

void virtio_gpu_resource_id_put(struct virtio_gpu_device *vgdev, uint32_t id)
{
	if (!virtio_gpu_virglrenderer_workaround) {
		ida_free(&vgdev->resource_ida, id - 1);
	}
}

void virtio_gpu_cleanup_object(struct virtio_gpu_object *bo)
{
	struct virtio_gpu_device *vgdev = bo->base.base.dev->dev_private;

	/* After a purge, the completion of its RESOURCE_UNREF does it. */
	if (!bo->unref_sent)
		virtio_gpu_resource_id_put(vgdev, bo->hw_res_handle);
	if (virtio_gpu_is_shmem(bo)) {
		virtio_gpu_free_unref(vgdev, bo->unref_vbuf);
		dma_fence_put(bo->detach_fence);
		/*
		 * The pin of a blob. The refcount is zero: like
		 * drm_gem_shmem_free(), do without the reservation lock.
		 */
		if (bo->guest_blob)
			drm_gem_shmem_unpin_locked(&bo->base);
		drm_gem_shmem_free(&bo->base);
	} else if (virtio_gpu_is_vram(bo)) {
		struct virtio_gpu_object_vram *vram = to_virtio_gpu_vram(bo);

		spin_lock(&vgdev->host_visible_lock);
		if (drm_mm_node_allocated(&vram->vram_node))
			drm_mm_remove_node(&vram->vram_node);

		spin_unlock(&vgdev->host_visible_lock);

		drm_gem_free_mmap_offset(&vram->base.base.base);
		drm_gem_object_release(&vram->base.base.base);
		kfree(vram);
	}
}

static void virtio_gpu_free_object(struct drm_gem_object *obj)
{
	struct virtio_gpu_object *bo = gem_to_virtio_gpu_obj(obj);
	struct virtio_gpu_device *vgdev = bo->base.base.dev->dev_private;

	/*
	 * From any context, memory reclaim and a task the OOM killer chose
	 * included: the UNREF command was allocated with the object and is
	 * queued without waiting for room in the ring. The completion
	 * handler calls virtio_gpu_cleanup_object().
	 */
	if (bo->created) {
		virtio_gpu_cmd_unref_resource(vgdev, bo);
		virtio_gpu_notify(vgdev);
		return;
	}
	virtio_gpu_cleanup_object(bo);
}

/*
 * Tell the host to stop using the pages of @bo and wait, for at most
 * @timeout jiffies, until it acknowledged. Called from memory reclaim.
 */
static int virtio_gpu_object_detach_locked(struct virtio_gpu_device *vgdev,
					   struct virtio_gpu_object *bo,
					   long timeout)
{
	struct virtio_gpu_fence *fence;
	int ret;

	dma_resv_assert_held(bo->base.base.resv);

	if (!bo->detached) {
		fence = virtio_gpu_fence_alloc_gfp(vgdev,
						   vgdev->fence_drv.context, 0,
						   GFP_NOWAIT | __GFP_NOWARN);
		if (!fence)
			return -ENOMEM;

		ret = virtio_gpu_cmd_detach_backing_nowait(vgdev, bo, fence);
		if (ret) {
			dma_fence_put(&fence->f);
			return ret;
		}

		/* Whatever happens next, attach again before the next use. */
		bo->detached = true;
		bo->detach_fence = &fence->f;
	}

	/* Never attached, or the host acknowledged an earlier detach. */
	if (!bo->detach_fence)
		return 0;

	/*
	 * Until the host answers it may use the pages: keep them. Without
	 * time to wait, the host hears of the detach at the end of the scan,
	 * with the others, see virtio_gpu_shrinker_scan_end().
	 */
	if (!dma_fence_is_signaled(bo->detach_fence)) {
		if (timeout <= 0)
			return -EBUSY;
		virtio_gpu_notify(vgdev);
		timeout = dma_fence_wait_timeout(bo->detach_fence, false,
						 timeout);
		if (timeout <= 0)
			return -EBUSY;
	}

	dma_fence_put(bo->detach_fence);
	bo->detach_fence = NULL;

	return 0;
}

/*
 * The purge and evict hook of the shrinker: it calls them from memory
 * reclaim, with the reservation lock held and the object idle, before it
 * purges or evicts the pages.
 */
static int virtio_gpu_object_evict(struct drm_gem_shmem_object *shmem,
				   struct drm_gem_lru_scan_ctx *ctx)
{
	struct drm_gem_object *obj = &shmem->base;
	struct virtio_gpu_object *bo = gem_to_virtio_gpu_obj(obj);
	struct virtio_gpu_device *vgdev = obj->dev->dev_private;
	int ret;

	dma_resv_assert_held(obj->resv);

	/* Blobs are pinned for their whole life. */
	if (drm_WARN_ON_ONCE(obj->dev, bo->guest_blob))
		return -EBUSY;

	ret = virtio_gpu_object_detach_locked(vgdev, bo,
					      drm_gem_lru_scan_timeout(ctx));
	if (ret)
		return ret;

	/* The contents go for good, and so does the host resource. */
	if (drm_gem_shmem_is_purgeable(&bo->base) && bo->created)
		virtio_gpu_cmd_unref_purged(vgdev, bo);

	return 0;
}

/* One notification for the commands that the hooks of a scan queued */
static void virtio_gpu_shrinker_scan_end(struct drm_device *dev)
{
	virtio_gpu_notify(dev->dev_private);
}

const struct drm_gem_shmem_shrinker_funcs virtio_gpu_shrinker_funcs = {
	.purge = virtio_gpu_object_evict,
	.evict = virtio_gpu_object_evict,
	.scan_end = virtio_gpu_shrinker_scan_end,
};

static const struct drm_gem_object_funcs virtio_gpu_shmem_funcs = {
	.free = virtio_gpu_free_object,
	.open = virtio_gpu_gem_object_open,
	.close = virtio_gpu_gem_object_close,
	.print_info = drm_gem_shmem_object_print_info,
	.export = virtgpu_gem_prime_export,
	.pin = drm_gem_shmem_object_pin,
	.unpin = drm_gem_shmem_object_unpin,
	.get_sg_table = drm_gem_shmem_object_get_sg_table,
	.vmap = drm_gem_shmem_object_vmap,
	.vunmap = drm_gem_shmem_object_vunmap,
	.mmap = drm_gem_shmem_object_mmap,
	.vm_ops = &drm_gem_shmem_vm_ops,
};

bool virtio_gpu_is_shmem(struct virtio_gpu_object *bo)
{
	return bo->base.base.funcs == &virtio_gpu_shmem_funcs;
}

struct drm_gem_object *virtio_gpu_create_object(struct drm_device *dev,
						size_t size)
{
	struct virtio_gpu_object_shmem *shmem;
	struct drm_gem_shmem_object *dshmem;

	shmem = kzalloc(sizeof(*shmem), GFP_KERNEL);
	if (!shmem)
		return ERR_PTR(-ENOMEM);

	dshmem = &shmem->base.base;
	dshmem->base.funcs = &virtio_gpu_shmem_funcs;
	return &dshmem->base;
}

static int virtio_gpu_object_shmem_init_locked(struct virtio_gpu_device *vgdev,
					       struct virtio_gpu_object *bo,
					       struct virtio_gpu_mem_entry **ents,
					       unsigned int *nents)
{
	bool use_dma_api = virtio_gpu_use_dma_api(vgdev->vdev);
	struct scatterlist *sg;
	struct sg_table *pages;
	int si;

	dma_resv_assert_held(bo->base.base.resv);

	pages = drm_gem_shmem_get_pages_sgt_locked(&bo->base);
	if (IS_ERR(pages))
		return PTR_ERR(pages);

	if (use_dma_api)
		*nents = pages->nents;
	else
		*nents = pages->orig_nents;

	*ents = kvmalloc_array(*nents,
			       sizeof(struct virtio_gpu_mem_entry),
			       GFP_KERNEL);
	if (!(*ents)) {
		DRM_ERROR("failed to allocate ent list\n");
		return -ENOMEM;
	}

	if (use_dma_api) {
		for_each_sgtable_dma_sg(pages, sg, si) {
			(*ents)[si].addr = cpu_to_le64(sg_dma_address(sg));
			(*ents)[si].length = cpu_to_le32(sg_dma_len(sg));
			(*ents)[si].padding = 0;
		}
	} else {
		for_each_sgtable_sg(pages, sg, si) {
			(*ents)[si].addr = cpu_to_le64(sg_phys(sg));
			(*ents)[si].length = cpu_to_le32(sg->length);
			(*ents)[si].padding = 0;
		}
	}

	return 0;
}

/**
 * virtio_gpu_object_prepare_locked - Make an object ready for the host
 * @bo: virtio-gpu object
 *
 * Called before every command that lets the host touch the pages of @bo.
 * Attaches the backing of a shmem object again if it is detached (on first
 * use, after eviction, or after a detach that timed out), bringing evicted
 * pages back first, and marks the object as used for the shrinker. Other
 * objects need nothing. Unless @bo is pinned, the command must be queued,
 * with a fence added to the reservation of @bo, before the reservation lock
 * is dropped: the shrinker only evicts idle objects.
 *
 * Context: Process context, reservation lock of @bo held. May allocate and
 * enter memory reclaim.
 *
 * Returns:
 * 0 on success, -EINVAL if the object is marked DONTNEED or purged, or a
 * negative error code from bringing the pages back.
 */
int virtio_gpu_object_prepare_locked(struct virtio_gpu_object *bo)
{
	dma_resv_assert_held(bo->base.base.resv);

	if (virtio_gpu_is_shmem(bo) && !bo->guest_blob &&
	    bo->base.madv != DRM_GEM_SHMEM_MADV_WILLNEED)
		return -EINVAL;

	return virtio_gpu_object_prepare_pinned_locked(bo);
}

/**
 * virtio_gpu_object_prepare_pinned_locked - Make a pinned object ready for
 *                                           the host
 * @bo: virtio-gpu object, pinned
 *
 * virtio_gpu_object_prepare_locked() without the check of the advice: a
 * pinned object keeps its pages even if userspace marked it DONTNEED since
 * it was pinned, and the host may need its backing attached (objects that
 * were pinned through &drm_gem_object_funcs.pin, e.g. by the fbdev client,
 * are not attached yet).
 *
 * Context: Process context, reservation lock of @bo held.
 *
 * Returns:
 * 0 on success or a negative error code.
 */
int virtio_gpu_object_prepare_pinned_locked(struct virtio_gpu_object *bo)
{
	struct virtio_gpu_device *vgdev = bo->base.base.dev->dev_private;
	struct drm_gem_shmem_object *shmem = &bo->base;
	struct virtio_gpu_mem_entry *ents;
	unsigned int nents;
	int ret;

	dma_resv_assert_held(shmem->base.resv);

	if (!virtio_gpu_is_shmem(bo) || bo->guest_blob)
		return 0;

	ret = drm_gem_shmem_swapin_locked(shmem);
	if (ret)
		return ret;

	/*
	 * An attached object keeps its sg_table, and so does an object whose
	 * detach the host has not acknowledged: the shrinker only takes the
	 * pages after virtio_gpu_object_evict() succeeded.
	 */
	if (drm_WARN_ON_ONCE(shmem->base.dev, !shmem->sgt &&
			     (!bo->detached || bo->detach_fence)))
		bo->detached = true;

	if (!bo->detached)
		return 0;

	ret = virtio_gpu_object_shmem_init_locked(vgdev, bo, &ents, &nents);
	if (ret)
		return ret;

	virtio_gpu_object_attach(vgdev, bo, ents, nents);
	dma_fence_put(bo->detach_fence);
	bo->detach_fence = NULL;
	bo->detached = false;

	return 0;
}

/* Blobs keep their pages attached and pinned for their whole life */
static int virtio_gpu_object_blob_init(struct virtio_gpu_device *vgdev,
				       struct virtio_gpu_object *bo,
				       struct virtio_gpu_mem_entry **ents,
				       unsigned int *nents)
{
	struct drm_gem_shmem_object *shmem = &bo->base;
	int ret;

	dma_resv_lock(shmem->base.resv, NULL);

	ret = drm_gem_shmem_pin_locked(shmem);
	if (ret)
		goto out_unlock;

	ret = virtio_gpu_object_shmem_init_locked(vgdev, bo, ents, nents);
	if (ret)
		drm_gem_shmem_unpin_locked(shmem);

out_unlock:
	dma_resv_unlock(shmem->base.resv);
	return ret;
}

int virtio_gpu_object_create(struct virtio_gpu_device *vgdev,
			     struct virtio_gpu_object_params *params,
			     struct virtio_gpu_object **bo_ptr,
			     struct virtio_gpu_fence *fence)
{
	struct virtio_gpu_object_array *objs = NULL;
	struct drm_gem_shmem_object *shmem_obj;
	struct virtio_gpu_object *bo;
	struct virtio_gpu_mem_entry *ents = NULL;
	unsigned int nents;
	int ret;

	*bo_ptr = NULL;

	params->size = roundup(params->size, PAGE_SIZE);
	shmem_obj = drm_gem_shmem_create(vgdev->ddev, params->size);
	if (IS_ERR(shmem_obj))
		return PTR_ERR(shmem_obj);
	bo = gem_to_virtio_gpu_obj(&shmem_obj->base);

	ret = virtio_gpu_resource_id_get(vgdev, &bo->hw_res_handle);
	if (ret < 0)
		goto err_free_gem;

	/* What freeing and purging need, so that neither allocates */
	bo->unref_vbuf = virtio_gpu_alloc_unref(vgdev);
	if (!bo->unref_vbuf) {
		ret = -ENOMEM;
		goto err_put_id;
	}

	bo->dumb = params->dumb;

	if (params->blob) {
		/* Shmem blobs of any kind; the ioctl sets the other flags. */
		bo->guest_blob = true;
		ret = virtio_gpu_object_blob_init(vgdev, bo, &ents, &nents);
		if (ret)
			goto err_free_unref;
	} else {
		/* Attached on first use, see virtio_gpu_object_prepare_locked() */
		bo->detached = true;
	}

	if (fence) {
		ret = -ENOMEM;
		objs = virtio_gpu_array_alloc(1);
		if (!objs)
			goto err_free_entry;
		virtio_gpu_array_add_obj(objs, &bo->base.base);

		ret = virtio_gpu_array_lock_resv(objs);
		if (ret != 0)
			goto err_put_objs;
	}

	if (params->blob)
		virtio_gpu_cmd_resource_create_blob(vgdev, bo, params,
						    ents, nents);
	else if (params->virgl)
		virtio_gpu_cmd_resource_create_3d(vgdev, bo, params,
						  objs, fence);
	else
		virtio_gpu_cmd_create_resource(vgdev, bo, params,
					       objs, fence);

	/* The host resource exists: from here on, freeing releases it. */
	if (!params->blob && virtio_gpu_attach_at_create) {
		dma_resv_lock(bo->base.base.resv, NULL);
		ret = virtio_gpu_object_prepare_locked(bo);
		dma_resv_unlock(bo->base.base.resv);
		if (ret) {
			drm_gem_object_put(&bo->base.base);
			return ret;
		}
	}

	*bo_ptr = bo;
	return 0;

err_put_objs:
	virtio_gpu_array_put_free(objs);
err_free_entry:
	/* ents and the pin of a blob, see virtio_gpu_object_blob_init() */
	kvfree(ents);
	if (params->blob)
		drm_gem_shmem_unpin(&bo->base);
err_free_unref:
	virtio_gpu_free_unref(vgdev, bo->unref_vbuf);
err_put_id:
	virtio_gpu_resource_id_put(vgdev, bo->hw_res_handle);
err_free_gem:
	drm_gem_shmem_free(shmem_obj);
	return ret;
}

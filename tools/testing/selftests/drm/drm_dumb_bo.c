// SPDX-License-Identifier: GPL-2.0
/*
 * Dumb buffers through the DRM uAPI: create, map, write, read back, destroy,
 * on each driver that has a device (virtio_gpu and vgem; a missing device
 * skips the variant). Also the error paths: unknown handles, destroyed
 * handles, mappings past the end of a buffer and impossible sizes.
 */

#include <stdint.h>
#include <stdlib.h>

#include "drm_helpers.h"
#include "../kselftest_harness.h"

#define MIB		(1024 * 1024)
#define NUM_ALIVE	32

FIXTURE(dumb) {
	int fd;
};

FIXTURE_VARIANT(dumb) {
	const char *driver;
};

FIXTURE_VARIANT_ADD(dumb, virtio_gpu) {
	.driver = "virtio_gpu",
};

FIXTURE_VARIANT_ADD(dumb, vgem) {
	.driver = "vgem",
};

FIXTURE_SETUP(dumb)
{
	self->fd = drm_open_driver(variant->driver);
	if (self->fd < 0)
		SKIP(return, "no %s device in " DRM_DIR, variant->driver);
}

FIXTURE_TEARDOWN(dumb)
{
	close(self->fd);
}

/* Fail the test at the first word of @bo that does not hold its pattern. */
#define ASSERT_PATTERN(map, size, seed) do {				\
	uint32_t __seed = (seed), __found = 0;				\
	int64_t __bad = drm_check(map, size, __seed, &__found);		\
									\
	ASSERT_EQ(-1, __bad) {						\
		TH_LOG("buffer %u: word at offset %lld is 0x%08x, expected 0x%08x", \
		       __seed, (long long)__bad, __found,		\
		       drm_pattern(__seed, __bad));			\
	}								\
} while (0)

static const struct {
	uint32_t width, height;
} sizes[] = {
	{ 1, 1 },		/* less than a page */
	{ 3, 7 },		/* odd dimensions */
	{ 1024, 256 },		/* 1 MiB */
	{ 640, 480 },
	{ 4096, 16 },		/* wide */
	{ 1920, 1080 },		/* about 8 MiB */
};

/*
 * Buffers of several sizes: the reported pitch and size cover the request,
 * two mappings at once see the same pages, and the contents survive
 * unmapping and mapping again.
 */
TEST_F(dumb, create_map_readback)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		uint32_t w = sizes[i].width, h = sizes[i].height;
		struct drm_dumb_bo bo;
		void *second;

		ASSERT_EQ(0, drm_dumb_create(self->fd, w, h, 32, &bo))
			TH_LOG("%ux%u", w, h);
		EXPECT_NE(0, bo.handle);
		EXPECT_LE(w * 4, bo.pitch);
		EXPECT_LE((uint64_t)bo.pitch * h, bo.size);
		EXPECT_EQ(0, bo.size % page);

		ASSERT_EQ(0, drm_dumb_map(self->fd, &bo)) TH_LOG("%ux%u", w, h);
		second = drm_mmap(self->fd, bo.offset, bo.size);
		ASSERT_NE(MAP_FAILED, second);

		drm_fill(bo.map, bo.size, i);
		ASSERT_PATTERN(second, bo.size, i);
		ASSERT_EQ(0, munmap(second, bo.size));
		ASSERT_EQ(0, drm_dumb_unmap(&bo));

		ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
		ASSERT_PATTERN(bo.map, bo.size, i);
		ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
	}
}

/*
 * Many buffers alive at once, each with its own contents: every one keeps
 * its own pages through unmapping and remapping the whole set.
 */
TEST_F_TIMEOUT(dumb, many_alive, 120)
{
	struct drm_dumb_bo bo[NUM_ALIVE];
	int i, j;

	for (i = 0; i < NUM_ALIVE; i++) {
		ASSERT_EQ(0, drm_dumb_create(self->fd, 1024, 256, 32, &bo[i]))
			TH_LOG("buffer %d of %d", i, NUM_ALIVE);
		ASSERT_EQ(MIB, bo[i].size);
		for (j = 0; j < i; j++)
			ASSERT_NE(bo[j].handle, bo[i].handle);
	}

	for (i = 0; i < NUM_ALIVE; i++) {
		ASSERT_EQ(0, drm_dumb_map(self->fd, &bo[i]));
		for (j = 0; j < i; j++)
			ASSERT_NE(bo[j].offset, bo[i].offset);
		drm_fill(bo[i].map, bo[i].size, i);
	}
	for (i = 0; i < NUM_ALIVE; i++)
		ASSERT_EQ(0, drm_dumb_unmap(&bo[i]));

	/* Read back in the reverse order of writing. */
	for (i = NUM_ALIVE - 1; i >= 0; i--) {
		ASSERT_EQ(0, drm_dumb_map(self->fd, &bo[i]));
		ASSERT_PATTERN(bo[i].map, bo[i].size, i);
	}
	for (i = 0; i < NUM_ALIVE; i++)
		ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo[i]));
}

/* A CPU mapping keeps the buffer alive after its handle is destroyed. */
TEST_F(dumb, mapping_outlives_handle)
{
	struct drm_dumb_bo bo;
	void *map;

	ASSERT_EQ(0, drm_dumb_create(self->fd, 1024, 256, 32, &bo));
	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	drm_fill(bo.map, bo.size, 7);

	map = bo.map;
	bo.map = NULL;
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
	ASSERT_PATTERN(map, MIB, 7);
	drm_fill(map, MIB, 8);
	ASSERT_PATTERN(map, MIB, 8);
	ASSERT_EQ(0, munmap(map, MIB));
}

/*
 * Handles that were never created. DESTROY_DUMB goes through
 * drm_gem_handle_delete(), which returns -EINVAL for an unknown handle;
 * MAP_DUMB looks the handle up and returns -ENOENT.
 */
TEST_F(dumb, invalid_handle)
{
	static const uint32_t handles[] = { 0, 0x7fffffff, 0xffffffff };
	uint64_t offset;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(handles); i++) {
		EXPECT_EQ(-EINVAL, drm_dumb_destroy_handle(self->fd, handles[i]))
			TH_LOG("DESTROY_DUMB of handle 0x%x", handles[i]);
		EXPECT_EQ(-ENOENT, drm_dumb_map_offset(self->fd, handles[i], &offset))
			TH_LOG("MAP_DUMB of handle 0x%x", handles[i]);
	}
}

/* A destroyed handle is gone for every ioctl, and so is its mmap offset. */
TEST_F(dumb, destroyed_handle)
{
	struct drm_dumb_bo bo;
	uint32_t handle;
	uint64_t offset;

	ASSERT_EQ(0, drm_dumb_create(self->fd, 1024, 256, 32, &bo));
	ASSERT_EQ(0, drm_dumb_map_offset(self->fd, bo.handle, &bo.offset));
	handle = bo.handle;
	offset = bo.offset;
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));

	EXPECT_EQ(-EINVAL, drm_dumb_destroy_handle(self->fd, handle));
	EXPECT_EQ(-ENOENT, drm_dumb_map_offset(self->fd, handle, &offset));
	EXPECT_EQ(-EINVAL, drm_mmap_error(self->fd, offset, MIB));
}

/* mmap() must not reach past the end of a buffer or outside any buffer. */
TEST_F(dumb, mmap_out_of_bounds)
{
	struct drm_dumb_bo bo;

	ASSERT_EQ(0, drm_dumb_create(self->fd, 1024, 256, 32, &bo));
	ASSERT_EQ(MIB, bo.size);
	ASSERT_EQ(0, drm_dumb_map_offset(self->fd, bo.handle, &bo.offset));

	EXPECT_EQ(-EINVAL, drm_mmap_error(self->fd, bo.offset, 2 * MIB));
	EXPECT_EQ(-EINVAL, drm_mmap_error(self->fd, bo.offset + MIB, MIB));

	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

/*
 * Sizes that drm_mode_create_dumb() rejects before the driver sees them:
 * a zero dimension, or a pitch or size that does not fit in 32 bits.
 */
TEST_F(dumb, bad_sizes)
{
	static const struct {
		uint32_t width, height, bpp;
	} bad[] = {
		{ 0, 1, 32 },
		{ 1, 0, 32 },
		{ 1, 1, 0 },
		{ 1, 1, UINT32_MAX },		/* bpp overflows */
		{ UINT32_MAX, 1, 32 },		/* pitch overflows */
		{ 65536, 16384, 32 },		/* 4 GiB: size overflows */
		{ 65536, 65536, 32 },
		{ UINT32_MAX, UINT32_MAX, 32 },
	};
	struct drm_dumb_bo bo;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, drm_dumb_create(self->fd, bad[i].width,
						   bad[i].height, bad[i].bpp, &bo))
			TH_LOG("%ux%u, %u bpp", bad[i].width, bad[i].height,
			       bad[i].bpp);
	}

	/* The device still works afterwards. */
	ASSERT_EQ(0, drm_dumb_create(self->fd, 1, 1, 32, &bo));
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

TEST_HARNESS_MAIN

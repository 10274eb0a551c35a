/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the DRM selftests: finding a DRM device by driver name,
 * dumb buffer ioctls, and fill/check patterns for buffer contents.
 *
 * Every helper returns 0 or a negative errno and leaves the reporting to the
 * caller, so that tests can assert on the error they expect.
 */

#ifndef __SELFTESTS_DRM_HELPERS_H__
#define __SELFTESTS_DRM_HELPERS_H__

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>

#define DRM_DIR			"/dev/dri"
#define DRM_MAX_MINORS		64
#define DRM_DRIVER_NAME_LEN	64

static inline int drm_ioctl(int fd, unsigned long request, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, request, arg);
	} while (ret == -1 && (errno == EINTR || errno == EAGAIN));

	return ret ? -errno : 0;
}

/* The driver name of an open DRM device, or a negative errno. */
static inline int drm_driver_name(int fd, char *name, size_t len)
{
	struct drm_version version = {
		.name = name,
		.name_len = len - 1,
	};
	int ret;

	memset(name, 0, len);
	ret = drm_ioctl(fd, DRM_IOCTL_VERSION, &version);
	if (ret)
		return ret;
	name[len - 1] = '\0';
	return 0;
}

/*
 * Write @val to the file @path, e.g. in sysfs, debugfs or /proc. Returns 0 or
 * a negative errno. Async-signal-safe.
 */
static inline int drm_write_file(const char *path, const char *val)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Open the primary node (/dev/dri/cardN) of the first device driven by
 * @driver. Returns the file descriptor, or -ENODEV if there is none.
 * Dumb buffers are a KMS interface: their ioctls are refused on render nodes.
 */
static inline int drm_open_driver(const char *driver)
{
	char path[64], name[DRM_DRIVER_NAME_LEN];
	int i, fd;

	for (i = 0; i < DRM_MAX_MINORS; i++) {
		snprintf(path, sizeof(path), DRM_DIR "/card%d", i);
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!drm_driver_name(fd, name, sizeof(name)) &&
		    !strcmp(name, driver))
			return fd;
		close(fd);
	}
	return -ENODEV;
}

/* A dumb buffer as userspace sees it. */
struct drm_dumb_bo {
	uint32_t handle;
	uint32_t pitch;
	uint64_t size;
	uint64_t offset;	/* fake mmap offset, valid once mapped */
	void *map;		/* CPU mapping of the whole buffer, or NULL */
};

static inline int drm_dumb_create(int fd, uint32_t width, uint32_t height,
				  uint32_t bpp, struct drm_dumb_bo *bo)
{
	struct drm_mode_create_dumb arg = {
		.width = width,
		.height = height,
		.bpp = bpp,
	};
	int ret;

	memset(bo, 0, sizeof(*bo));
	ret = drm_ioctl(fd, DRM_IOCTL_MODE_CREATE_DUMB, &arg);
	if (ret)
		return ret;
	bo->handle = arg.handle;
	bo->pitch = arg.pitch;
	bo->size = arg.size;
	return 0;
}

static inline int drm_dumb_destroy_handle(int fd, uint32_t handle)
{
	struct drm_mode_destroy_dumb arg = { .handle = handle };

	return drm_ioctl(fd, DRM_IOCTL_MODE_DESTROY_DUMB, &arg);
}

static inline int drm_dumb_map_offset(int fd, uint32_t handle, uint64_t *offset)
{
	struct drm_mode_map_dumb arg = { .handle = handle };
	int ret;

	ret = drm_ioctl(fd, DRM_IOCTL_MODE_MAP_DUMB, &arg);
	if (ret)
		return ret;
	*offset = arg.offset;
	return 0;
}

/* mmap() @len bytes of the buffer at fake offset @offset. */
static inline void *drm_mmap(int fd, uint64_t offset, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
}

/*
 * For a mapping that must be refused: 0 if mmap() succeeded (the mapping is
 * removed again), else the negative errno it failed with.
 */
static inline int drm_mmap_error(int fd, uint64_t offset, size_t len)
{
	void *map = drm_mmap(fd, offset, len);

	if (map == MAP_FAILED)
		return -errno;
	munmap(map, len);
	return 0;
}

/* Map the whole buffer into bo->map. */
static inline int drm_dumb_map(int fd, struct drm_dumb_bo *bo)
{
	void *map;
	int ret;

	ret = drm_dumb_map_offset(fd, bo->handle, &bo->offset);
	if (ret)
		return ret;
	map = drm_mmap(fd, bo->offset, bo->size);
	if (map == MAP_FAILED)
		return -errno;
	bo->map = map;
	return 0;
}

static inline int drm_dumb_unmap(struct drm_dumb_bo *bo)
{
	int ret = 0;

	if (bo->map && munmap(bo->map, bo->size))
		ret = -errno;
	bo->map = NULL;
	return ret;
}

/* Unmap (if mapped) and destroy the buffer. */
static inline int drm_dumb_destroy(int fd, struct drm_dumb_bo *bo)
{
	int ret, ret2;

	ret = drm_dumb_unmap(bo);
	ret2 = drm_dumb_destroy_handle(fd, bo->handle);
	bo->handle = 0;
	return ret ?: ret2;
}

/*
 * Buffer contents: every 32-bit word holds a value derived from a seed (for
 * example the index of the buffer) and the word's offset, so that a page
 * that ends up in the wrong buffer or at the wrong offset is noticed, and so
 * is a page of zeroes. The values are pseudo-random, hence incompressible.
 */
static inline uint32_t drm_pattern(uint32_t seed, uint64_t offset)
{
	uint64_t x = ((uint64_t)seed << 40) ^ offset ^ 0x9e3779b97f4a7c15ull;

	/* splitmix64 finalizer */
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)(x ^ (x >> 31));
}

/*
 * Contents that zram compresses about 2:1, like real GPU buffers: the first
 * half of every page holds drm_pattern() words, the second half one word
 * derived from the seed and the page, repeated. A page in the wrong buffer or
 * at the wrong offset is still noticed, and so is a page of zeroes.
 */
static inline uint32_t drm_pattern_2to1(uint32_t seed, uint64_t offset)
{
	if ((offset % 4096) < 4096 / 2)
		return drm_pattern(seed, offset);
	return (seed * 0x9e3779b1u) ^ (uint32_t)(offset / 4096) ^ 0xa5a5a5a5u;
}

/* A bijection of the 15-bit values: odd multipliers and xorshifts */
static inline uint32_t drm_perm15(uint32_t x)
{
	x = (x * 0x5bd1u) & 0x7fff;
	x ^= x >> 7;
	x = (x * 0x2c1bu) & 0x7fff;
	return x ^ (x >> 8);
}

/*
 * Contents that zram (LZO) compresses about 2:1, like drm_pattern_2to1(),
 * in which no two 32-bit words are equal: a word moved anywhere, also
 * within a page, is noticed. Page p of the buffer of @seed gets the number
 * h = seed * 4096 + p (21 bits), and its word k (0..511) of the first half
 * is X | Y << 16, with X = 0x8000 | perm(h >> 6) the same for the page and
 * Y = perm((h & 63) << 9 | k), 15 bits. Word k of the second half is Y | X
 * << 16: the second half is the first one shifted by two bytes, which LZO
 * stores as one match, while the first half has no repeated four bytes.
 * The first-half words have bit 15 set, the second-half ones bit 31, and
 * (X, Y) gives h and k back: every word differs from every other of the
 * buffers of seeds that differ modulo 512, up to 16 MiB each (a larger
 * buffer shares numbers with the next size / 16 MiB - 1 seeds). No word is
 * zero.
 */
static inline uint32_t drm_pattern_unique(uint32_t seed, uint64_t offset)
{
	uint32_t h = (seed * 4096u + (uint32_t)(offset / 4096)) & 0x1fffff;
	uint32_t k = (offset % 4096) / 4;
	uint32_t x = 0x8000 | drm_perm15(h >> 6);
	uint32_t y = drm_perm15((h & 63) << 9 | (k & 511));

	return k < 512 ? x | y << 16 : y | x << 16;
}

typedef uint32_t (*drm_pattern_fn)(uint32_t seed, uint64_t offset);

/*
 * Fill a buffer with @pattern. The accesses are atomic (relaxed) so that the
 * compiler really stores to and loads from the mapping instead of forwarding
 * values between fill and check.
 */
static inline void drm_fill_pattern(void *map, uint64_t size, uint32_t seed,
				    drm_pattern_fn pattern)
{
	uint32_t *p = map;
	uint64_t i;

	for (i = 0; i < size / 4; i++)
		__atomic_store_n(&p[i], pattern(seed, i * 4), __ATOMIC_RELAXED);
}

/*
 * Check a buffer filled by drm_fill_pattern(). Returns the byte offset of the
 * first word that differs, or -1 if all match; *found gets the word read
 * there.
 */
static inline int64_t drm_check_pattern(const void *map, uint64_t size,
					uint32_t seed, uint32_t *found,
					drm_pattern_fn pattern)
{
	const uint32_t *p = map;
	uint64_t i;

	for (i = 0; i < size / 4; i++) {
		uint32_t v = __atomic_load_n(&p[i], __ATOMIC_RELAXED);

		if (v != pattern(seed, i * 4)) {
			if (found)
				*found = v;
			return i * 4;
		}
	}
	return -1;
}

static inline void drm_fill(void *map, uint64_t size, uint32_t seed)
{
	drm_fill_pattern(map, size, seed, drm_pattern);
}

static inline int64_t drm_check(const void *map, uint64_t size, uint32_t seed,
				uint32_t *found)
{
	return drm_check_pattern(map, size, seed, found, drm_pattern);
}

static inline void drm_fill_2to1(void *map, uint64_t size, uint32_t seed)
{
	drm_fill_pattern(map, size, seed, drm_pattern_2to1);
}

static inline int64_t drm_check_2to1(const void *map, uint64_t size,
				     uint32_t seed, uint32_t *found)
{
	return drm_check_pattern(map, size, seed, found, drm_pattern_2to1);
}

static inline void drm_fill_unique(void *map, uint64_t size, uint32_t seed)
{
	drm_fill_pattern(map, size, seed, drm_pattern_unique);
}

static inline int64_t drm_check_unique(const void *map, uint64_t size,
				       uint32_t seed, uint32_t *found)
{
	return drm_check_pattern(map, size, seed, found, drm_pattern_unique);
}

#endif /* __SELFTESTS_DRM_HELPERS_H__ */

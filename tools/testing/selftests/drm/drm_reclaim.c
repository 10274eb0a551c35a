// SPDX-License-Identifier: GPL-2.0
/*
 * Reclaim of GEM buffer objects: more dumb buffers than the guest has RAM,
 * on virtio_gpu and on vgem, must survive eviction to swap with their
 * contents intact; on virtio_gpu the host must see the backing detached
 * before the pages go and attached again before it uses them, and
 * DRM_IOCTL_VIRTGPU_MADVISE lets idle buffers be purged.
 *
 * Memory pressure comes from the buffers themselves or from a child process
 * that touches about the guest's RAM in anonymous memory. The GEM shrinker's
 * debugfs statistics (dri/N/gem_shrinker/stats) tell which reclaim happened.
 *
 * Host errors: the virtio_gpu driver logs every command the host rejects
 * ("*ERROR* response 0x..."), e.g. a transfer to a resource without backing
 * or an attach to a resource that still has one. The virtio_gpu tests read
 * the kernel log (/dev/kmsg) and fail on any such message.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

#include <drm/vgem_drm.h>
#include <drm/virtgpu_drm.h>

#include "drm_helpers.h"
#include "../kselftest_harness.h"

#define MIB		(1024 * 1024)
#define PAGE		4096

#define ASSERT_CONTENTS(map, size, seed) do {				\
	uint32_t __seed = (seed), __found = 0;				\
	int64_t __bad = drm_check_unique(map, size, __seed, &__found);	\
									\
	ASSERT_EQ(-1, __bad) {						\
		TH_LOG("buffer %u: word at offset %lld is 0x%08x, expected 0x%08x", \
		       __seed, (long long)__bad, __found,		\
		       drm_pattern_unique(__seed, __bad));			\
	}								\
} while (0)

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* MemTotal of the guest, in MiB. */
static size_t mem_total_mib(void)
{
	char line[128];
	size_t kib = 0;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %zu kB", &kib) == 1)
			break;
	fclose(f);
	return kib / 1024;
}

/*
 * How many of @total_pages pages of buffers must be out of memory once all
 * of them are filled. Only the GEM shrinker frees the pages of a buffer,
 * and a buffer is either in memory or evicted; the pages of an evicted
 * buffer are in the page cache or in swap. What is in memory, buffers and
 * page cache, fits in MemTotal, so at least the rest was evicted and is in
 * swap. Far more must go in practice (the kernel, and zram for what it
 * holds, need memory too), but MemAvailable is no bound: memory that it
 * does not count comes free under pressure (zsmalloc's partly used pages,
 * slab caches, the KASAN quarantine), up to 70 MiB of 150 after the
 * virtio_gpu tests. 0 if everything may fit.
 */
static long overcommit_bound(long total_pages)
{
	long room = mem_total_mib() * (MIB / PAGE);

	return total_pages > room ? total_pages - room : 0;
}

/* What zram holds now: data and compressed size, in MiB (0 without zram) */
static void zram_usage(double *orig, double *compr)
{
	unsigned long long o, c;
	FILE *f;

	*orig = 0;
	*compr = 0;
	f = fopen("/sys/block/zram0/mm_stat", "r");
	if (!f)
		return;
	if (fscanf(f, "%llu %llu", &o, &c) == 2) {
		*orig = (double)o / MIB;
		*compr = (double)c / MIB;
	}
	fclose(f);
}

/*
 * A child process touches @mib MiB of anonymous memory and exits. Every
 * page holds one repeated value, which zram stores almost for free, so the
 * pressure pushes the guest into reclaim without filling the swap.
 */
static int memory_pressure(size_t mib)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		size_t len = mib * MIB, off;
		char *p;

		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			_exit(1);
		for (off = 0; off < len; off += PAGE)
			memset(p + off, 0x5a, PAGE);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
}

/*
 * Figures of the GEM shrinker of a device, from debugfs: the pages purged,
 * evicted and swapped in so far, by any scan, and the pages of the objects in
 * each state now.
 */
struct shrinker_stats {
	long purged;
	long evicted;
	long swapin;
	long pages_pinned;
	long pages_willneed;
	long pages_dontneed;
	long pages_evicted;
};

/* The path of the file @name in the gem_shrinker debugfs directory of @fd */
static int shrinker_path(int fd, const char *name, char *path, size_t len)
{
	struct stat sb;

	if (fstat(fd, &sb))
		return -errno;
	snprintf(path, len, "/sys/kernel/debug/dri/%u/gem_shrinker/%s",
		 minor(sb.st_rdev), name);
	return 0;
}

/* Write @val to the file @name in the debugfs directory of the device of @fd */
static int dri_debugfs_write(int fd, const char *name, const char *val)
{
	char path[128];
	struct stat sb;

	if (fstat(fd, &sb))
		return -errno;
	snprintf(path, sizeof(path), "/sys/kernel/debug/dri/%u/%s",
		 minor(sb.st_rdev), name);
	return drm_write_file(path, val);
}

/* Read the counters of the GEM shrinker; with @print, show the whole file. */
static int shrinker_read(int fd, struct shrinker_stats *st, bool print)
{
	char path[96], line[256];
	int found = 0, ret;
	FILE *f;

	ret = shrinker_path(fd, "stats", path, sizeof(path));
	if (ret)
		return ret;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (print)
			fprintf(stderr, "# %s", line);
		if (sscanf(line, "pinned %*u %ld", &st->pages_pinned) == 1 ||
		    sscanf(line, "willneed %*u %ld", &st->pages_willneed) == 1 ||
		    sscanf(line, "dontneed %*u %ld", &st->pages_dontneed) == 1 ||
		    sscanf(line, "evicted %*u %ld", &st->pages_evicted) == 1 ||
		    sscanf(line, "purged_pages: %ld", &st->purged) == 1 ||
		    sscanf(line, "evicted_pages: %ld", &st->evicted) == 1 ||
		    sscanf(line, "swapin_pages: %ld", &st->swapin) == 1)
			found++;
	}
	fclose(f);
	return found == 7 ? 0 : -EINVAL;
}

static int shrinker_stats(int fd, struct shrinker_stats *st)
{
	return shrinker_read(fd, st, false);
}

/* Show the state of the GEM shrinker, to explain a failure. */
static void shrinker_print(int fd)
{
	struct shrinker_stats st;

	shrinker_read(fd, &st, true);
}

/* Run a scan of the GEM shrinker as direct reclaim would, through debugfs. */
static int shrinker_shrink(int fd, unsigned long pages)
{
	char path[96], buf[32];
	int sfd, len, ret;

	ret = shrinker_path(fd, "shrink", path, sizeof(path));
	if (ret)
		return ret;
	sfd = open(path, O_WRONLY | O_CLOEXEC);
	if (sfd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%lu", pages);
	if (write(sfd, buf, len) != len)
		ret = -errno;
	close(sfd);
	return ret;
}

/*
 * Scan through debugfs until at least @pages pages of the device are
 * evicted. kswapd may be scanning the same objects (the earlier tests leave
 * the guest at its watermarks): a scan that finds an object locked by it
 * frees nothing, so try again for up to 2 s. Fills in @st.
 */
static int shrink_until_evicted(int fd, long pages, struct shrinker_stats *st)
{
	int i, ret;

	for (i = 0; i < 40; i++) {
		ret = shrinker_shrink(fd, 1UL << 30);
		ret = ret ?: shrinker_stats(fd, st);
		if (ret || st->pages_evicted >= pages)
			return ret;
		usleep(50 * 1000);
	}
	return 0;
}

/*
 * The kernel log from now on: open /dev/kmsg at its end. Returns the file
 * descriptor or a negative errno.
 */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	lseek(fd, 0, SEEK_END);
	return fd;
}

/*
 * Count the commands the host rejected since kmsg_open() (or the last call),
 * printing each message.
 */
static int kmsg_host_errors(int fd)
{
	char rec[8192];		/* the longest record /dev/kmsg returns */
	int errors = 0;
	ssize_t len;

	for (;;) {
		len = read(fd, rec, sizeof(rec) - 1);
		if (len < 0 && errno == EPIPE)		/* overwritten records */
			continue;
		if (len <= 0)
			break;
		rec[len] = '\0';
		if (strstr(rec, "*ERROR* response 0x")) {
			fprintf(stderr, "# host error: %s", strchr(rec, ';') + 1);
			errors++;
		}
	}
	return errors;
}

/* virtio_gpu ioctls on a dumb buffer of @width x @height pixels of 32 bits */
static int virtgpu_transfer_to_host(int fd, uint32_t handle, uint32_t width,
				    uint32_t height)
{
	struct drm_virtgpu_3d_transfer_to_host arg = {
		.bo_handle = handle,
		.box = { .w = width, .h = height, .d = 1 },
	};

	return drm_ioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &arg);
}

static int virtgpu_transfer_from_host(int fd, uint32_t handle, uint32_t width,
				      uint32_t height)
{
	struct drm_virtgpu_3d_transfer_from_host arg = {
		.bo_handle = handle,
		.box = { .w = width, .h = height, .d = 1 },
	};

	return drm_ioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_FROM_HOST, &arg);
}

/* Wait until the host is done with the buffer. */
static int virtgpu_wait(int fd, uint32_t handle)
{
	struct drm_virtgpu_3d_wait arg = { .handle = handle };

	return drm_ioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &arg);
}

static int virtgpu_madvise(int fd, uint32_t handle, uint32_t madv,
			   uint32_t pad, uint32_t *retained)
{
	struct drm_virtgpu_madvise arg = {
		.bo_handle = handle,
		.madv = madv,
		.pad = pad,
		.retained = 0xdeadbeef,
	};
	int ret;

	ret = drm_ioctl(fd, DRM_IOCTL_VIRTGPU_MADVISE, &arg);
	if (!ret && retained)
		*retained = arg.retained;
	return ret;
}

/* DRM_IOCTL_VIRTGPU_GETPARAM: 0 and the value in @value, or a negative errno */
static int virtgpu_getparam(int fd, uint64_t param, int *value)
{
	struct drm_virtgpu_getparam arg = {
		.param = param,
		.value = (uintptr_t)value,
	};

	*value = -1;
	return drm_ioctl(fd, DRM_IOCTL_VIRTGPU_GETPARAM, &arg);
}

/* Whether the host renders with virgl (3D) */
static bool virtgpu_has_3d(int fd)
{
	int value;

	return !virtgpu_getparam(fd, VIRTGPU_PARAM_3D_FEATURES, &value) &&
	       value > 0;
}

static bool is_virtio_gpu(int fd)
{
	char name[DRM_DRIVER_NAME_LEN];

	return !drm_driver_name(fd, name, sizeof(name)) &&
	       !strcmp(name, "virtio_gpu");
}

/* A dumb buffer of 1024 pixels of 32 bits per row */
#define ROW	1024

static int bo_create(int fd, uint64_t size, struct drm_dumb_bo *bo)
{
	return drm_dumb_create(fd, ROW, size / (ROW * 4), 32, bo);
}

/* On virtio_gpu, hand the whole buffer to the host and wait for it. */
static int bo_to_host(int fd, struct drm_dumb_bo *bo)
{
	int ret;

	if (!is_virtio_gpu(fd))
		return 0;
	ret = virtgpu_transfer_to_host(fd, bo->handle, ROW, bo->size / bo->pitch);
	return ret ?: virtgpu_wait(fd, bo->handle);
}

FIXTURE(reclaim) {
	int fd;
	int kmsg;
};

FIXTURE_VARIANT(reclaim) {
	const char *driver;
};

FIXTURE_VARIANT_ADD(reclaim, virtio_gpu) {
	.driver = "virtio_gpu",
};

FIXTURE_VARIANT_ADD(reclaim, vgem) {
	.driver = "vgem",
};

FIXTURE_SETUP(reclaim)
{
	struct shrinker_stats st;

	self->kmsg = -1;
	self->fd = drm_open_driver(variant->driver);
	if (self->fd < 0)
		SKIP(return, "no %s device in " DRM_DIR, variant->driver);
	ASSERT_EQ(0, shrinker_stats(self->fd, &st))
		TH_LOG("no GEM shrinker statistics for %s in debugfs",
		       variant->driver);
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(reclaim)
{
	/* The host rejected none of the commands of the test. */
	if (self->kmsg >= 0)
		EXPECT_EQ(0, kmsg_host_errors(self->kmsg));
	close(self->kmsg);
	close(self->fd);
}

/*
 * Buffers of 4 MiB totalling 1.25 times the guest's RAM, so that a good part
 * of them must go to swap. Each is filled through a CPU mapping and, on
 * virtio_gpu, handed to the host, which attaches its backing. Every other
 * buffer keeps its mapping, the others are unmapped. Then every buffer is
 * read back and, on virtio_gpu, handed to the host again, which needs its
 * backing attached again after eviction.
 *
 * Only the GEM shrinker can reclaim the pages of a buffer that is mapped or
 * attached to the host. The statistics must add up: once all buffers are
 * filled, at least what did not fit in the RAM was evicted
 * (overcommit_bound()), is evicted now and is in zram; reading back swaps
 * in at least every buffer that was evicted then. A kernel that does not
 * evict gets an OOM kill or fails the allocations, one that loses count
 * of evictions or swap-ins, or evicts without writing to swap, fails the
 * bounds, and one that gives back fresh pages instead of swapping in fails
 * the check of the contents.
 */
TEST_F_TIMEOUT(reclaim, overcommit, 900)
{
	struct shrinker_stats before, mid, after;
	struct drm_dumb_bo *bo;
	size_t total = mem_total_mib() * 5 / 4;
	uint64_t size = 4 * MIB;
	double start, filled, orig, compr;
	unsigned int i, n;
	long bound;

	ASSERT_LT(0, total);
	n = total * MIB / size;
	bo = calloc(n, sizeof(*bo));
	ASSERT_NE(NULL, bo);
	bound = overcommit_bound(n * size / PAGE);
	ASSERT_EQ(0, shrinker_stats(self->fd, &before));

	start = now_s();
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, bo_create(self->fd, size, &bo[i]))
			TH_LOG("buffer %u of %u", i, n);
		ASSERT_EQ(size, bo[i].size);
		ASSERT_EQ(0, drm_dumb_map(self->fd, &bo[i]));
		drm_fill_unique(bo[i].map, size, i);
		ASSERT_EQ(0, bo_to_host(self->fd, &bo[i])) TH_LOG("buffer %u", i);
		if (i % 2)
			ASSERT_EQ(0, drm_dumb_unmap(&bo[i]));
	}

	/* Read back in the order of writing: the oldest went to swap first. */
	filled = now_s();
	ASSERT_EQ(0, shrinker_stats(self->fd, &mid));
	zram_usage(&orig, &compr);
	for (i = 0; i < n; i++) {
		if (!bo[i].map)
			ASSERT_EQ(0, drm_dumb_map(self->fd, &bo[i]));
		ASSERT_CONTENTS(bo[i].map, size, i);
		ASSERT_EQ(0, bo_to_host(self->fd, &bo[i])) TH_LOG("buffer %u", i);
		ASSERT_EQ(0, drm_dumb_unmap(&bo[i]));
	}

	ASSERT_EQ(0, shrinker_stats(self->fd, &after));
	TH_LOG("%u buffers, %zu MiB: fill %.1f s, read back %.1f s",
	       n, n * size / MIB, filled - start, now_s() - filled);
	TH_LOG("shrinker: %ld MiB evicted, %ld MiB swapped in",
	       (after.evicted - before.evicted) / 256,
	       (after.swapin - before.swapin) / 256);
	TH_LOG("zram after filling: %.0f MiB in %.0f MiB", orig, compr);
	TH_LOG("%ld MiB must go; filled: %ld MiB evicted, %ld MiB still",
	       bound / 256, (mid.evicted - before.evicted) / 256,
	       (mid.pages_evicted - before.pages_evicted) / 256);
	EXPECT_LT(before.evicted, after.evicted);
	EXPECT_LE(bound, mid.evicted - before.evicted)
		shrinker_print(self->fd);
	EXPECT_LE(bound, mid.pages_evicted - before.pages_evicted)
		shrinker_print(self->fd);
	EXPECT_LE((double)bound / 256, orig);
	EXPECT_LT(0, orig);
	/*
	 * The read back touched every buffer: each that was evicted when it
	 * started was swapped in (once more if kswapd evicted it again). No
	 * one touches the objects that were evicted before the test.
	 */
	EXPECT_LE(mid.pages_evicted - before.pages_evicted,
		  after.swapin - before.swapin)
		shrinker_print(self->fd);

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo[i]));
	free(bo);
}

/*
 * A scan through debugfs runs under lockdep's reclaim annotation: what the
 * drivers do in reclaim (the virtio_gpu detach, allocations, fence waits) is
 * checked as if the memory allocator had called the shrinker. An idle buffer
 * that is mapped or, on virtio_gpu, attached to the host is evicted, and on
 * virtio_gpu a DONTNEED buffer is purged. The contents come back through the
 * mapping, and the host takes the buffer again.
 */
TEST_F_TIMEOUT(reclaim, shrink_debugfs, 120)
{
	struct shrinker_stats before, after;
	struct drm_dumb_bo bo, gone;
	uint64_t size = 16 * MIB;
	bool virtgpu = is_virtio_gpu(self->fd);
	uint32_t retained;

	ASSERT_EQ(0, bo_create(self->fd, size, &bo));
	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	drm_fill_unique(bo.map, size, 5);
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));
	if (virtgpu) {
		ASSERT_EQ(0, bo_create(self->fd, size, &gone));
		ASSERT_EQ(0, drm_dumb_map(self->fd, &gone));
		drm_fill_unique(gone.map, size, 6);
		ASSERT_EQ(0, bo_to_host(self->fd, &gone));
		ASSERT_EQ(0, drm_dumb_unmap(&gone));
		ASSERT_EQ(0, virtgpu_madvise(self->fd, gone.handle,
					     VIRTGPU_MADV_DONTNEED, 0, NULL));
	}

	/*
	 * The memory pressure that earlier tests leave may evict the buffer
	 * while the other one is filled. Bring it back.
	 */
	ASSERT_CONTENTS(bo.map, size, 5);
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));

	ASSERT_EQ(0, shrinker_stats(self->fd, &before));
	ASSERT_EQ(0, shrinker_shrink(self->fd, 1UL << 30));
	ASSERT_EQ(0, shrinker_stats(self->fd, &after));

	/*
	 * Nothing idle stays in memory. What was there before the scan was
	 * evicted, by the scan or, if it got there first, by the core reclaim.
	 */
	if (before.pages_willneed < (long)(size / PAGE))
		TH_LOG("the core reclaim evicted the buffer before the scan");
	EXPECT_EQ(0, after.pages_willneed)
		shrinker_print(self->fd);
	EXPECT_LE(before.pages_willneed, after.evicted - before.evicted)
		shrinker_print(self->fd);
	EXPECT_LE((long)(size / PAGE), after.pages_evicted);

	ASSERT_CONTENTS(bo.map, size, 5);
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));
	if (virtgpu) {
		EXPECT_EQ(0, after.pages_dontneed);
		EXPECT_LE(before.pages_dontneed, after.purged - before.purged);
		ASSERT_EQ(0, virtgpu_madvise(self->fd, gone.handle,
					     VIRTGPU_MADV_WILLNEED, 0,
					     &retained));
		EXPECT_EQ(0, retained);
		ASSERT_EQ(0, drm_dumb_destroy(self->fd, &gone));
	}
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

/*
 * drm-resident-memory of /proc/self/fdinfo/@fd, in KiB, or -1 if the driver
 * prints no memory stats.
 */
static long fdinfo_resident_kib(int fd)
{
	char path[64], line[256], unit[8];
	unsigned long long val;
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		int n = sscanf(line, "drm-resident-memory: %llu %7s", &val, unit);

		/* Sizes that are not a multiple of 1 KiB, and 0, have no unit */
		if (n == 1)
			kib = val / 1024;
		if (n != 2)
			continue;
		if (!strcmp(unit, "KiB"))
			kib = val;
		else if (!strcmp(unit, "MiB"))
			kib = val * 1024;
		else if (!strcmp(unit, "GiB"))
			kib = val * 1024 * 1024;
		else
			kib = val / 1024;
	}
	fclose(f);
	return kib;
}

/*
 * fdinfo follows eviction: drm-resident-memory of the file drops by the
 * size of a buffer when the buffer is evicted, and comes back when a CPU
 * access brings it back. Tools like gputop read it.
 */
TEST_F_TIMEOUT(reclaim, fdinfo_resident, 120)
{
	uint64_t size = 16 * MIB;
	long filled, evicted, back;
	struct drm_dumb_bo bo;

	if (is_virtio_gpu(self->fd))
		SKIP(return, "virtio_gpu prints no fdinfo memory stats");

	ASSERT_EQ(0, bo_create(self->fd, size, &bo));
	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	drm_fill_unique(bo.map, size, 9);
	filled = fdinfo_resident_kib(self->fd);
	ASSERT_LE((long)(size / 1024), filled);

	ASSERT_EQ(0, shrinker_shrink(self->fd, 1UL << 30));
	evicted = fdinfo_resident_kib(self->fd);
	ASSERT_LE(0, evicted);
	EXPECT_GE(filled - (long)(size / 1024), evicted)
		shrinker_print(self->fd);

	ASSERT_CONTENTS(bo.map, size, 9);
	back = fdinfo_resident_kib(self->fd);
	EXPECT_EQ(filled, back);
	TH_LOG("drm-resident-memory: %ld KiB filled, %ld KiB evicted, %ld KiB back",
	       filled, evicted, back);

	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

/*
 * The first touch of an evicted buffer: a 64 MiB buffer is evicted through
 * debugfs and memory pressure then pushes its pages to zram. Reading one
 * byte faults, and the fault handler brings back the whole object, so that
 * one access costs about what reading all of it from zram costs. The test
 * logs both figures, which say whether swapping in only the faulting range
 * would pay, and checks that the whole object came back with its contents.
 */
TEST_F_TIMEOUT(reclaim, first_touch, 300)
{
	struct shrinker_stats st, before, after;
	double z_before, z_after, compr, t0, t1, t2;
	uint64_t size = 64 * MIB;
	struct drm_dumb_bo bo;

	ASSERT_EQ(0, bo_create(self->fd, size, &bo));
	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	drm_fill_unique(bo.map, size, 8);
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));

	ASSERT_EQ(0, shrink_until_evicted(self->fd, size / PAGE, &st));
	ASSERT_LE((long)(size / PAGE), st.pages_evicted)
		shrinker_print(self->fd);

	zram_usage(&z_before, &compr);
	ASSERT_EQ(0, memory_pressure(mem_total_mib()));
	zram_usage(&z_after, &compr);

	ASSERT_EQ(0, shrinker_stats(self->fd, &before));
	t0 = now_s();
	(void)__atomic_load_n((char *)bo.map + size / 2, __ATOMIC_RELAXED);
	t1 = now_s();
	ASSERT_EQ(0, shrinker_stats(self->fd, &after));
	ASSERT_CONTENTS(bo.map, size, 8);
	t2 = now_s();

	TH_LOG("%zu MiB evicted, zram %.0f -> %.0f MiB: first touch %.1f ms",
	       (size_t)(size / MIB), z_before, z_after, (t1 - t0) * 1000);
	TH_LOG("then reading all of it %.1f ms", (t2 - t1) * 1000);
	EXPECT_LE((long)(size / PAGE), after.swapin - before.swapin);

	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

#define FORK_BOS	4

/*
 * fork() with mapped, evicted buffers: the child inherits the mappings,
 * without page table entries since the eviction zapped them, so that its
 * first access of each buffer faults the pages back through the object.
 * The child reads every byte and overwrites the first buffer, then exits
 * with 0, or 1 + the index of the first buffer whose contents are wrong.
 * The mappings are shared: the parent sees what the child wrote, also after
 * another eviction. A kernel that takes no use reference for the copied
 * mapping, or copies stale page table entries, gives the child SIGBUS or
 * someone else's pages (a wrong exit status) or loses the child's writes;
 * one that swaps in without counting fails the statistics.
 */
TEST_F_TIMEOUT(reclaim, fork_evicted, 300)
{
	struct shrinker_stats base, st, after;
	struct drm_dumb_bo bo[FORK_BOS];
	uint64_t size = 4 * MIB;
	long pages = FORK_BOS * size / PAGE;
	int i, status;
	pid_t pid;

	ASSERT_EQ(0, shrinker_stats(self->fd, &base));
	for (i = 0; i < FORK_BOS; i++) {
		ASSERT_EQ(0, bo_create(self->fd, size, &bo[i]));
		ASSERT_EQ(0, drm_dumb_map(self->fd, &bo[i]));
		drm_fill_unique(bo[i].map, size, 20 + i);
		ASSERT_EQ(0, bo_to_host(self->fd, &bo[i]));
	}
	ASSERT_EQ(0, shrink_until_evicted(self->fd, base.pages_evicted + pages,
					  &st));
	ASSERT_LE(base.pages_evicted + pages, st.pages_evicted)
		shrinker_print(self->fd);

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		for (i = 0; i < FORK_BOS; i++) {
			uint32_t found = 0;
			int64_t bad = drm_check_unique(bo[i].map, size, 20 + i,
						       &found);

			if (bad >= 0) {
				fprintf(stderr, "# child: buffer %d: at %lld 0x%08x, not 0x%08x\n",
					i, (long long)bad, found,
					drm_pattern_unique(20 + i, bad));
				_exit(1 + i);
			}
		}
		drm_fill_unique(bo[0].map, size, 30);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("the child got signal %d", WTERMSIG(status));
	ASSERT_EQ(0, WEXITSTATUS(status));

	/* The child's reads swapped in every buffer. */
	ASSERT_EQ(0, shrinker_stats(self->fd, &after));
	EXPECT_LE(pages, after.swapin - st.swapin)
		shrinker_print(self->fd);

	ASSERT_CONTENTS(bo[0].map, size, 30);
	for (i = 1; i < FORK_BOS; i++)
		ASSERT_CONTENTS(bo[i].map, size, 20 + i);
	ASSERT_EQ(0, shrink_until_evicted(self->fd, base.pages_evicted + pages,
					  &st));
	ASSERT_LE(base.pages_evicted + pages, st.pages_evicted)
		shrinker_print(self->fd);
	ASSERT_CONTENTS(bo[0].map, size, 30);
	for (i = 0; i < FORK_BOS; i++) {
		ASSERT_EQ(0, bo_to_host(self->fd, &bo[i]));
		ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo[i]));
	}
}

#define PROCS	3

/*
 * One of the processes of reclaim.processes: open the device, fill @n
 * buffers of @size, say so on @ready, wait for @go to close, then check and
 * (on virtio_gpu) hand to the host every buffer. Returns the exit status:
 * 0, 1 if some contents are wrong, 2 if an ioctl or mmap failed.
 */
static int processes_child(const char *driver, int p, unsigned int n,
			   uint64_t size, int ready, int go)
{
	struct drm_dumb_bo *bo = calloc(n, sizeof(*bo));
	int fd = drm_open_driver(driver), ret = 0;
	uint32_t seed, found = 0;
	unsigned int i;
	int64_t bad;
	char c = 0;

	if (!bo || fd < 0)
		ret = 2;
	for (i = 0; !ret && i < n; i++) {
		if (bo_create(fd, size, &bo[i]) || drm_dumb_map(fd, &bo[i])) {
			ret = 2;
			break;
		}
		drm_fill_unique(bo[i].map, size, p * 128 + i);
		if (bo_to_host(fd, &bo[i]))
			ret = 2;
	}
	if (ret)
		fprintf(stderr, "# process %d: buffer %u: %s\n", p, i,
			strerror(errno));
	if (write(ready, &c, 1) != 1)
		ret = 2;
	close(ready);
	if (read(go, &c, 1) < 0)
		ret = 2;

	for (i = 0; !ret && i < n; i++) {
		seed = p * 128 + i;
		bad = drm_check_unique(bo[i].map, size, seed, &found);
		if (bad >= 0) {
			fprintf(stderr, "# process %d: buffer %u: at %lld 0x%08x, not 0x%08x\n",
				p, i, (long long)bad, found,
				drm_pattern_unique(seed, bad));
			ret = 1;
		} else if (bo_to_host(fd, &bo[i])) {
			ret = 2;
		}
	}
	/* Closing the file releases the buffers. */
	close(fd);
	return ret;
}

/*
 * PROCS processes, each with its own file of the device, fill buffers that
 * add up to the guest's RAM, wait until all have filled theirs, then check
 * them at once: the shrinker evicts the buffers of one process to make room
 * for another's, and each must get its own contents back. A kernel that
 * mixes up the objects of different files, or races a fault against a scan
 * of another process, fails a child (the log check catches lockdep and
 * KASAN reports); the evictions must add up as in overcommit.
 */
TEST_F_TIMEOUT(reclaim, processes, 600)
{
	struct shrinker_stats before, mid, after;
	uint64_t size = 4 * MIB;
	unsigned int n = mem_total_mib() * MIB / size / PROCS;
	int ready[2], go[2], p, status, filled = 0;
	pid_t pids[PROCS];
	long bound;
	char c;

	ASSERT_LT(0, n);
	bound = overcommit_bound(PROCS * n * size / PAGE);
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, shrinker_stats(self->fd, &before));
	for (p = 0; p < PROCS; p++) {
		pids[p] = fork();
		ASSERT_LE(0, pids[p]);
		if (!pids[p]) {
			close(ready[0]);
			close(go[1]);
			_exit(processes_child(variant->driver, p, n, size,
					      ready[1], go[0]));
		}
	}
	close(ready[1]);
	close(go[0]);
	/* Every child writes a byte and closes its end, or exits. */
	while (read(ready[0], &c, 1) == 1)
		filled++;
	close(ready[0]);
	ASSERT_EQ(0, shrinker_stats(self->fd, &mid));
	close(go[1]);

	for (p = 0; p < PROCS; p++) {
		ASSERT_EQ(pids[p], waitpid(pids[p], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("process %d: status 0x%x", p, status);
	}
	EXPECT_EQ(PROCS, filled);
	ASSERT_EQ(0, shrinker_stats(self->fd, &after));
	TH_LOG("%d x %u buffers of %zu MiB: %ld MiB must go; evicted %ld MiB, swapped in %ld MiB",
	       PROCS, n, (size_t)(size / MIB), bound / 256,
	       (mid.evicted - before.evicted) / 256,
	       (after.swapin - before.swapin) / 256);
	EXPECT_LT(before.evicted, mid.evicted);
	EXPECT_LT(before.pages_evicted, mid.pages_evicted);
	EXPECT_LE(bound, mid.evicted - before.evicted)
		shrinker_print(self->fd);
	EXPECT_LE(mid.pages_evicted - before.pages_evicted,
		  after.swapin - before.swapin)
		shrinker_print(self->fd);
}

/* The virtio_gpu tests that need no buffers from the fixture above */
FIXTURE(virtgpu) {
	int fd;
	int kmsg;
	size_t pressure_mib;
};

FIXTURE_SETUP(virtgpu)
{
	self->kmsg = -1;
	self->fd = drm_open_driver("virtio_gpu");
	if (self->fd < 0)
		SKIP(return, "no virtio_gpu device in " DRM_DIR);
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
	self->pressure_mib = mem_total_mib();
	ASSERT_LT(0, self->pressure_mib);
}

FIXTURE_TEARDOWN(virtgpu)
{
	/* What slow_host changes, also when it failed */
	if (self->fd >= 0) {
		dri_debugfs_write(self->fd, "virtio-gpu-fence-delay-ms", "0");
		dri_debugfs_write(self->fd, "gem_shrinker/wait_kswapd_only",
				  "1");
	}
	if (self->kmsg >= 0)
		EXPECT_EQ(0, kmsg_host_errors(self->kmsg));
	close(self->kmsg);
	close(self->fd);
}

#define PRESSURE_ROUNDS	8

/*
 * Host round trip: the host must see the data written after a buffer was
 * evicted and swapped back in, which needs the backing detached before the
 * pages went and attached again, with the new pages, before the transfer.
 *
 * With virgl the host's copy comes back into the guest: fill A, transfer it
 * to the host, evict, overwrite the guest copy with B, transfer from the
 * host, and A must be back. Without virgl (2D) nothing transfers from the
 * host (the ioctl fails with -ENOSYS): fill B after the eviction and transfer
 * it to the host, which must accept it; a missing detach or attach makes the
 * host reject the attach or the transfer (see kmsg_host_errors()).
 */
TEST_F_TIMEOUT(virtgpu, host_roundtrip, 300)
{
	struct shrinker_stats now;
	uint64_t size = 16 * MIB;
	struct drm_dumb_bo bo;
	uint32_t height;
	int i;

	ASSERT_EQ(0, bo_create(self->fd, size, &bo));
	height = bo.size / bo.pitch;
	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	drm_fill_unique(bo.map, size, 1);
	ASSERT_EQ(0, drm_dumb_unmap(&bo));
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));

	/* Evict it: it is the only evictable buffer. */
	for (i = 0; i < PRESSURE_ROUNDS; i++) {
		ASSERT_EQ(0, memory_pressure(self->pressure_mib));
		ASSERT_EQ(0, shrinker_stats(self->fd, &now));
		if (now.pages_evicted >= (long)(size / PAGE))
			break;
	}
	ASSERT_LE((long)(size / PAGE), now.pages_evicted)
		TH_LOG("the buffer was not evicted in %d rounds of pressure", i);

	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	drm_fill_unique(bo.map, size, 2);

	if (virtgpu_has_3d(self->fd)) {
		ASSERT_EQ(0, virtgpu_transfer_from_host(self->fd, bo.handle,
							ROW, height));
		ASSERT_EQ(0, virtgpu_wait(self->fd, bo.handle));
		ASSERT_CONTENTS(bo.map, size, 1);
	} else {
		TH_LOG("no virgl: checking the transfer to the host only");
		ASSERT_NE(0, virtgpu_transfer_from_host(self->fd, bo.handle,
							ROW, height));
		ASSERT_EQ(0, bo_to_host(self->fd, &bo));
		ASSERT_CONTENTS(bo.map, size, 2);
	}
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

#define BOUNCE_BOS	24

/*
 * Whoever wrote last wins: what the CPU writes through mmap after the last
 * transfer to the host survives an eviction. With bounce buffers
 * (swiotlb=force and a virtio-gpu device with iommu_platform=on: the bounce
 * configuration of make guest-test) the host sees a copy of the pages that
 * each transfer updates, and unmapping the sg_table at eviction copies it
 * back over the pages, unless the pages are synced to it first.
 */
TEST_F_TIMEOUT(virtgpu, write_after_transfer, 300)
{
	struct drm_dumb_bo bos[BOUNCE_BOS];
	struct shrinker_stats before, after;
	uint64_t size = MIB;
	int i;

	for (i = 0; i < BOUNCE_BOS; i++) {
		ASSERT_EQ(0, bo_create(self->fd, size, &bos[i]));
		ASSERT_EQ(0, drm_dumb_map(self->fd, &bos[i]));
		drm_fill_unique(bos[i].map, size, 100 + i);
		ASSERT_EQ(0, bo_to_host(self->fd, &bos[i]));
		drm_fill_unique(bos[i].map, size, 200 + i);
	}

	ASSERT_EQ(0, shrinker_stats(self->fd, &before));
	ASSERT_EQ(0, shrink_until_evicted(self->fd, BOUNCE_BOS * size / PAGE,
					  &after));
	EXPECT_EQ(0, after.pages_willneed)
		shrinker_print(self->fd);
	EXPECT_LE((long)(BOUNCE_BOS * size / PAGE), after.pages_evicted)
		shrinker_print(self->fd);

	for (i = 0; i < BOUNCE_BOS; i++) {
		ASSERT_CONTENTS(bos[i].map, size, 200 + i);
		ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bos[i]));
	}
}

/* A connected output: a CRTC, a connector and its preferred mode */
struct output {
	uint32_t crtc;
	uint32_t connector;
	struct drm_mode_modeinfo mode;
};

static int find_output(int fd, struct output *out)
{
	struct drm_mode_card_res res = {};
	uint32_t crtcs[8], connectors[8];
	unsigned int i;
	int ret;

	ret = drm_ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res);
	if (ret)
		return ret;
	if (!res.count_crtcs || !res.count_connectors)
		return -ENODEV;
	res.count_fbs = 0;
	res.count_encoders = 0;
	res.count_crtcs = res.count_crtcs < 8 ? res.count_crtcs : 8;
	res.count_connectors = res.count_connectors < 8 ? res.count_connectors : 8;
	res.crtc_id_ptr = (uintptr_t)crtcs;
	res.connector_id_ptr = (uintptr_t)connectors;
	ret = drm_ioctl(fd, DRM_IOCTL_MODE_GETRESOURCES, &res);
	if (ret)
		return ret;

	for (i = 0; i < res.count_connectors; i++) {
		struct drm_mode_get_connector conn = {
			.connector_id = connectors[i],
		};
		struct drm_mode_modeinfo *modes;
		uint32_t count;

		/* Without room for modes, the ioctl probes the connector. */
		ret = drm_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn);
		if (ret)
			return ret;
		if (conn.connection != 1 || !conn.count_modes)
			continue;

		/* It copies all modes or none; the first is the preferred one. */
		count = conn.count_modes;
		modes = calloc(count, sizeof(*modes));
		if (!modes)
			return -ENOMEM;
		memset(&conn, 0, sizeof(conn));
		conn.connector_id = connectors[i];
		conn.count_modes = count;
		conn.modes_ptr = (uintptr_t)modes;
		ret = drm_ioctl(fd, DRM_IOCTL_MODE_GETCONNECTOR, &conn);
		out->mode = modes[0];
		free(modes);
		if (ret)
			return ret;
		if (conn.count_modes != count)
			return -EAGAIN;
		out->crtc = crtcs[0];
		out->connector = connectors[i];
		return 0;
	}
	return -ENODEV;
}

/* Show @fb_id on @out, or switch the output off with 0. */
static int set_crtc(int fd, struct output *out, uint32_t fb_id)
{
	struct drm_mode_crtc crtc = {
		.crtc_id = out->crtc,
		.fb_id = fb_id,
	};

	if (fb_id) {
		crtc.set_connectors_ptr = (uintptr_t)&out->connector;
		crtc.count_connectors = 1;
		crtc.mode = out->mode;
		crtc.mode_valid = 1;
	}
	return drm_ioctl(fd, DRM_IOCTL_MODE_SETCRTC, &crtc);
}

static sigjmp_buf sigbus_jmp;

static void sigbus_handler(int sig)
{
	siglongjmp(sigbus_jmp, 1);
}

/* Whether reading the byte at @map raises SIGBUS */
static bool read_faults(const char *map)
{
	struct sigaction sa = { .sa_handler = sigbus_handler }, old;
	bool faulted = false;

	sigaction(SIGBUS, &sa, &old);
	if (sigsetjmp(sigbus_jmp, 1))
		faulted = true;
	else
		(void)__atomic_load_n(map, __ATOMIC_RELAXED);
	sigaction(SIGBUS, &old, NULL);
	return faulted;
}

/*
 * DONTNEED, then memory pressure until the buffer is purged: marking it
 * DONTNEED again reports retained = 0, so does WILLNEED, its old CPU mapping
 * raises SIGBUS, at the first, a middle and the last page, a new mapping
 * fails, and the host may no longer use it. A kernel that hands out fresh
 * pages for a purged buffer lets the reads succeed and return zeroes.
 */
TEST_F_TIMEOUT(virtgpu, madvise_purge, 300)
{
	struct shrinker_stats before, after;
	uint64_t size = 32 * MIB, offset = ~0ull;
	struct drm_dumb_bo bo;
	uint32_t retained;
	int i, ret;
	void *map;

	ASSERT_EQ(0, bo_create(self->fd, size, &bo));
	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	drm_fill_unique(bo.map, size, 3);
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));
	ASSERT_EQ(0, shrinker_stats(self->fd, &before));

	ASSERT_EQ(0, virtgpu_madvise(self->fd, bo.handle, VIRTGPU_MADV_DONTNEED,
				     0, &retained));
	ASSERT_EQ(1, retained);
	for (i = 0; i < PRESSURE_ROUNDS && retained; i++) {
		ASSERT_EQ(0, memory_pressure(self->pressure_mib));
		ASSERT_EQ(0, virtgpu_madvise(self->fd, bo.handle,
					     VIRTGPU_MADV_DONTNEED, 0,
					     &retained));
	}
	ASSERT_EQ(0, retained)
		TH_LOG("not purged after %d rounds of pressure", i);
	ASSERT_EQ(0, shrinker_stats(self->fd, &after));
	EXPECT_LE((long)(size / PAGE), after.purged - before.purged);

	ASSERT_EQ(0, virtgpu_madvise(self->fd, bo.handle, VIRTGPU_MADV_WILLNEED,
				     0, &retained));
	EXPECT_EQ(0, retained);
	EXPECT_TRUE(read_faults(bo.map));
	EXPECT_TRUE(read_faults((char *)bo.map + size / 2 + 5));
	EXPECT_TRUE(read_faults((char *)bo.map + size - 1));
	EXPECT_EQ(-EINVAL, virtgpu_transfer_to_host(self->fd, bo.handle, ROW,
						    size / bo.pitch));

	map = bo.map;
	bo.map = NULL;
	ASSERT_EQ(0, munmap(map, size));

	/*
	 * The purge freed the fake offset: a new mapping at the old offset
	 * fails, and MAP_DUMB has no offset to give (it returned 0 and
	 * offset 0 once).
	 */
	EXPECT_EQ(-EINVAL, drm_mmap_error(self->fd, bo.offset, size));
	ret = drm_dumb_map_offset(self->fd, bo.handle, &offset);
	EXPECT_EQ(-EINVAL, ret) TH_LOG("offset 0x%llx",
				       (unsigned long long)offset);
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

/*
 * A buffer that is displayed stays in memory and attached to the host, which
 * reads it at any time: evict it, show it (which attaches it again), then
 * memory pressure must not evict it, while it evicts a control buffer of
 * the same size that is not displayed. Once the output is off it is
 * evictable again. A kernel that evicts a scanout buffer has the host read
 * freed pages: the statistics show the eviction.
 */
TEST_F_TIMEOUT(virtgpu, scanout_pinned, 300)
{
	struct shrinker_stats before, now;
	struct drm_mode_fb_cmd fb = {};
	struct drm_dumb_bo bo, ctl;
	struct output out;
	long pages;
	int i;

	if (find_output(self->fd, &out))
		SKIP(return, "no connected output");

	ASSERT_EQ(0, drm_dumb_create(self->fd, out.mode.hdisplay,
				     out.mode.vdisplay, 32, &bo));
	pages = bo.size / PAGE;
	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	drm_fill_unique(bo.map, bo.size, 7);
	ASSERT_EQ(0, drm_dumb_unmap(&bo));
	ASSERT_EQ(0, virtgpu_transfer_to_host(self->fd, bo.handle,
					      out.mode.hdisplay,
					      out.mode.vdisplay));
	ASSERT_EQ(0, virtgpu_wait(self->fd, bo.handle));

	for (i = 0; i < PRESSURE_ROUNDS; i++) {
		ASSERT_EQ(0, memory_pressure(self->pressure_mib));
		ASSERT_EQ(0, shrinker_stats(self->fd, &now));
		if (now.pages_evicted >= pages)
			break;
	}
	ASSERT_LE(pages, now.pages_evicted);

	fb.width = out.mode.hdisplay;
	fb.height = out.mode.vdisplay;
	fb.pitch = bo.pitch;
	fb.bpp = 32;
	fb.depth = 24;
	fb.handle = bo.handle;
	ASSERT_EQ(0, drm_ioctl(self->fd, DRM_IOCTL_MODE_ADDFB, &fb));
	ASSERT_EQ(0, set_crtc(self->fd, &out, fb.fb_id));

	/*
	 * A buffer of the same size that is not displayed: the same pressure
	 * must evict it, or the test shows nothing. It alone is evicted.
	 */
	ASSERT_EQ(0, bo_create(self->fd, bo.size, &ctl));
	ASSERT_EQ(0, drm_dumb_map(self->fd, &ctl));
	drm_fill_unique(ctl.map, ctl.size, 17);
	ASSERT_EQ(0, bo_to_host(self->fd, &ctl));

	ASSERT_EQ(0, shrinker_stats(self->fd, &before));
	for (i = 0; i < PRESSURE_ROUNDS; i++) {
		ASSERT_EQ(0, memory_pressure(self->pressure_mib));
		ASSERT_EQ(0, shrinker_stats(self->fd, &now));
		if (i && now.pages_evicted >= pages)
			break;
	}
	EXPECT_EQ(pages, now.pages_evicted)
		TH_LOG("%d rounds of pressure", i);
	EXPECT_GE(pages, now.evicted - before.evicted);
	EXPECT_LE(pages, now.pages_pinned);
	ASSERT_CONTENTS(ctl.map, ctl.size, 17);
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &ctl));

	ASSERT_EQ(0, set_crtc(self->fd, &out, 0));
	for (i = 0; i < PRESSURE_ROUNDS; i++) {
		ASSERT_EQ(0, memory_pressure(self->pressure_mib));
		ASSERT_EQ(0, shrinker_stats(self->fd, &now));
		if (now.pages_evicted >= pages)
			break;
	}
	EXPECT_LE(pages, now.pages_evicted);

	ASSERT_EQ(0, drm_ioctl(self->fd, DRM_IOCTL_MODE_RMFB, &fb.fb_id));
	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	ASSERT_CONTENTS(bo.map, bo.size, 7);
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

/*
 * DONTNEED then WILLNEED before any pressure: the contents survive, while
 * the same pressure purges a control buffer that stays DONTNEED (without
 * it, a shrinker that never ran would pass). A kernel that forgets the
 * WILLNEED purges the buffer: retained is 0 and the contents are zeroes or
 * SIGBUS.
 */
TEST_F_TIMEOUT(virtgpu, madvise_willneed_keeps, 300)
{
	struct shrinker_stats before, after;
	uint64_t size = 32 * MIB, ctl_size = 8 * MIB;
	struct drm_dumb_bo bo, ctl;
	uint32_t retained;
	int i;

	ASSERT_EQ(0, bo_create(self->fd, ctl_size, &ctl));
	ASSERT_EQ(0, drm_dumb_map(self->fd, &ctl));
	drm_fill_unique(ctl.map, ctl_size, 10);
	ASSERT_EQ(0, bo_to_host(self->fd, &ctl));
	ASSERT_EQ(0, drm_dumb_unmap(&ctl));

	ASSERT_EQ(0, bo_create(self->fd, size, &bo));
	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	drm_fill_unique(bo.map, size, 4);
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));

	ASSERT_EQ(0, virtgpu_madvise(self->fd, bo.handle, VIRTGPU_MADV_DONTNEED,
				     0, &retained));
	ASSERT_EQ(1, retained);
	ASSERT_EQ(0, virtgpu_madvise(self->fd, bo.handle, VIRTGPU_MADV_WILLNEED,
				     0, &retained));
	ASSERT_EQ(1, retained);

	ASSERT_EQ(0, shrinker_stats(self->fd, &before));
	ASSERT_EQ(0, virtgpu_madvise(self->fd, ctl.handle, VIRTGPU_MADV_DONTNEED,
				     0, &retained));
	ASSERT_EQ(1, retained);
	for (i = 0; i < PRESSURE_ROUNDS; i++) {
		ASSERT_EQ(0, memory_pressure(self->pressure_mib));
		ASSERT_EQ(0, virtgpu_madvise(self->fd, ctl.handle,
					     VIRTGPU_MADV_DONTNEED, 0,
					     &retained));
		if (i && !retained)
			break;
	}
	EXPECT_EQ(0, retained)
		TH_LOG("the control buffer was not purged in %d rounds", i);
	ASSERT_EQ(0, shrinker_stats(self->fd, &after));
	EXPECT_LE((long)(ctl_size / PAGE), after.purged - before.purged);
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &ctl));

	ASSERT_CONTENTS(bo.map, size, 4);
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));
	ASSERT_EQ(0, virtgpu_madvise(self->fd, bo.handle, VIRTGPU_MADV_WILLNEED,
				     0, &retained));
	ASSERT_EQ(1, retained);
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

/* The host must not use a DONTNEED buffer; WILLNEED makes it usable again. */
TEST_F(virtgpu, madvise_dontneed_rejected)
{
	struct drm_dumb_bo bo;
	uint32_t retained;

	ASSERT_EQ(0, bo_create(self->fd, MIB, &bo));
	ASSERT_EQ(0, virtgpu_madvise(self->fd, bo.handle, VIRTGPU_MADV_DONTNEED,
				     0, &retained));
	ASSERT_EQ(1, retained);
	EXPECT_EQ(-EINVAL, virtgpu_transfer_to_host(self->fd, bo.handle, ROW,
						    MIB / bo.pitch));
	ASSERT_EQ(0, virtgpu_madvise(self->fd, bo.handle, VIRTGPU_MADV_WILLNEED,
				     0, &retained));
	ASSERT_EQ(1, retained);
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

/* Whether virtio_gpu attaches backings at creation (attach_at_create) */
static int virtgpu_attach_at_create(void)
{
	char c = 0;
	int fd, ret;

	fd = open("/sys/module/virtio_gpu/parameters/attach_at_create",
		  O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = read(fd, &c, 1) == 1 ? c == 'Y' : -EIO;
	close(fd);
	return ret;
}

/*
 * Backings are attached on first use, or at creation with the module
 * parameter attach_at_create (the bounce guest sets it): a new buffer has
 * no pages until the host first needs them, or has them from the start,
 * attached and accepted by the host. Either way, the first transfer leaves
 * it with pages, and eviction and the next transfer work.
 */
TEST_F(virtgpu, attach_mode)
{
	struct shrinker_stats before, created, used;
	long pages = 4 * MIB / PAGE, delta;
	struct drm_dumb_bo bo;
	int at_create;

	at_create = virtgpu_attach_at_create();
	ASSERT_LE(0, at_create);
	ASSERT_EQ(0, shrinker_stats(self->fd, &before));
	ASSERT_EQ(0, bo_create(self->fd, 4 * MIB, &bo));
	ASSERT_EQ(0, shrinker_stats(self->fd, &created));
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));
	ASSERT_EQ(0, shrinker_stats(self->fd, &used));
	TH_LOG("attach_at_create=%d: %ld pages after creation, %ld after use",
	       at_create, created.pages_willneed - before.pages_willneed,
	       used.pages_willneed - before.pages_willneed);
	/* With it, the pages from the start; without, none before the use */
	delta = created.pages_willneed - before.pages_willneed;
	EXPECT_TRUE(at_create ? delta >= pages : delta == 0);
	EXPECT_LE(pages, used.pages_willneed - before.pages_willneed);

	ASSERT_EQ(0, shrink_until_evicted(self->fd,
					  before.pages_evicted + pages, &used));
	EXPECT_LE(before.pages_evicted + pages, used.pages_evicted);
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

/*
 * Userspace can discover the ioctl: VIRTGPU_PARAM_MADVISE gives 1, and a
 * parameter the kernel does not know fails with -EINVAL, as the ioctl itself
 * does on a kernel without it.
 */
TEST_F(virtgpu, madvise_param)
{
	int value;

	ASSERT_EQ(0, virtgpu_getparam(self->fd, VIRTGPU_PARAM_MADVISE, &value));
	EXPECT_EQ(1, value);
	EXPECT_EQ(-EINVAL, virtgpu_getparam(self->fd, 0x7fffffff, &value));
}

/*
 * Unknown handles fail with -ENOENT, unknown advice values and a nonzero pad
 * with -EINVAL, whatever the handle.
 */
TEST_F(virtgpu, madvise_bad_input)
{
	static const uint32_t handles[] = { 0, 0x7fffffff, 0xffffffff };
	static const uint32_t madv[] = { 2, 3, 0x80000000, 0xffffffff };
	struct drm_dumb_bo bo, gone;
	unsigned int i;

	ASSERT_EQ(0, bo_create(self->fd, MIB, &bo));
	ASSERT_EQ(0, bo_create(self->fd, MIB, &gone));
	ASSERT_EQ(0, drm_dumb_destroy_handle(self->fd, gone.handle));

	for (i = 0; i < ARRAY_SIZE(handles); i++)
		EXPECT_EQ(-ENOENT, virtgpu_madvise(self->fd, handles[i],
						   VIRTGPU_MADV_DONTNEED, 0,
						   NULL))
			TH_LOG("handle 0x%x", handles[i]);
	EXPECT_EQ(-ENOENT, virtgpu_madvise(self->fd, gone.handle,
					   VIRTGPU_MADV_WILLNEED, 0, NULL));

	for (i = 0; i < ARRAY_SIZE(madv); i++) {
		EXPECT_EQ(-EINVAL, virtgpu_madvise(self->fd, bo.handle, madv[i],
						   0, NULL))
			TH_LOG("madv %u", madv[i]);
		EXPECT_EQ(-EINVAL, virtgpu_madvise(self->fd, handles[1],
						   madv[i], 0, NULL))
			TH_LOG("madv %u, unknown handle", madv[i]);
	}

	EXPECT_EQ(-EINVAL, virtgpu_madvise(self->fd, bo.handle,
					   VIRTGPU_MADV_DONTNEED, 1, NULL));
	EXPECT_EQ(-EINVAL, virtgpu_madvise(self->fd, bo.handle,
					   VIRTGPU_MADV_WILLNEED, 0x80000000,
					   NULL));
	EXPECT_EQ(-EINVAL, virtgpu_madvise(self->fd, handles[1],
					   VIRTGPU_MADV_WILLNEED, 1, NULL));

	/* None of it changed the buffer. */
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
}

/*
 * The handle of a buffer that was evicted, then closed, is gone: madvise,
 * transfers, waits and the mmap offset fail with -ENOENT (transfers from
 * the host fail before the lookup without virgl), and the old fake offset
 * maps nothing. A kernel that keeps evicted objects reachable after
 * their handle is closed acts on freed memory (KASAN) or returns 0.
 */
TEST_F(virtgpu, closed_handle)
{
	struct shrinker_stats base, st;
	uint64_t size = MIB, offset;
	struct drm_dumb_bo bo;
	uint32_t handle;

	ASSERT_EQ(0, shrinker_stats(self->fd, &base));
	ASSERT_EQ(0, bo_create(self->fd, size, &bo));
	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	drm_fill_unique(bo.map, size, 11);
	ASSERT_EQ(0, bo_to_host(self->fd, &bo));
	ASSERT_EQ(0, shrink_until_evicted(self->fd,
					  base.pages_evicted + size / PAGE,
					  &st));
	ASSERT_LE(base.pages_evicted + (long)(size / PAGE), st.pages_evicted)
		shrinker_print(self->fd);
	handle = bo.handle;
	offset = bo.offset;
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));

	EXPECT_EQ(-ENOENT, virtgpu_madvise(self->fd, handle,
					   VIRTGPU_MADV_DONTNEED, 0, NULL));
	EXPECT_EQ(-ENOENT, virtgpu_madvise(self->fd, handle,
					   VIRTGPU_MADV_WILLNEED, 0, NULL));
	EXPECT_EQ(-ENOENT, virtgpu_transfer_to_host(self->fd, handle, ROW,
						    size / (ROW * 4)));
	if (virtgpu_has_3d(self->fd))
		EXPECT_EQ(-ENOENT, virtgpu_transfer_from_host(self->fd, handle,
							      ROW,
							      size / (ROW * 4)));
	EXPECT_EQ(-ENOENT, virtgpu_wait(self->fd, handle));
	EXPECT_EQ(-ENOENT, drm_dumb_map_offset(self->fd, handle, &offset));
	EXPECT_EQ(-EINVAL, drm_mmap_error(self->fd, offset, size));
}

/* The scans of gem_shrinker/scans from number @since on */
struct scan_log {
	unsigned long long next;	/* the number of the next scan */
	unsigned int scans;
	unsigned long max_hook_us;
	unsigned long max_time_us;
	unsigned long declined;
	/* The time in the driver's hooks per scan: median, 99th percentile */
	unsigned long hook_p50_us;
	unsigned long hook_p99_us;
};

static int cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

static int shrinker_scans(int fd, unsigned long long since,
			  struct scan_log *log)
{
	unsigned long time_us, hook_us, freed, declined, waited;
	unsigned long hooks[256];	/* the log holds the last 256 scans */
	char path[96], line[160];
	unsigned long long seq;
	int kswapd, ret;
	FILE *f;

	ret = shrinker_path(fd, "scans", path, sizeof(path));
	if (ret)
		return ret;
	f = fopen(path, "r");
	if (!f)
		return -errno;
	memset(log, 0, sizeof(*log));
	log->next = since;
	while (fgets(line, sizeof(line), f)) {
		/* The header does not parse. */
		if (sscanf(line, "%llu %lu %lu %lu %lu %lu %d", &seq, &time_us,
			   &hook_us, &freed, &declined, &waited, &kswapd) != 7 ||
		    seq < since)
			continue;
		log->next = seq + 1;
		if (log->scans < ARRAY_SIZE(hooks))
			hooks[log->scans] = hook_us;
		log->scans++;
		log->declined += declined;
		if (hook_us > log->max_hook_us)
			log->max_hook_us = hook_us;
		if (time_us > log->max_time_us)
			log->max_time_us = time_us;
	}
	fclose(f);

	if (log->scans) {
		unsigned int n = log->scans < ARRAY_SIZE(hooks) ?
				 log->scans : ARRAY_SIZE(hooks);

		qsort(hooks, n, sizeof(hooks[0]), cmp_ulong);
		log->hook_p50_us = hooks[n / 2];
		log->hook_p99_us = hooks[(n * 99) / 100];
	}
	return 0;
}

#define SLOW_HOST_BOS		16
#define SLOW_HOST_DELAY		"3000"	/* ms, beyond the second of retries */
/*
 * The most that the driver's hooks may take in one scan: the budgets of the
 * two busy stages, 10 jiffies each (80 ms at HZ=250), and slack for the TCG
 * guest. Waiting for the host per object, as virtio_gpu once did (up to a
 * second each), takes many times that.
 */
#define SLOW_HOST_HOOK_US	(250 * 1000)

/*
 * A host that answers late must not stall reclaim: with the fences of the
 * host's answers held back 3 s (the test knob virtio-gpu-fence-delay-ms),
 * scans of attached idle buffers queue their DETACH_BACKING and decline
 * them, keeping the pages the host may still use, and no scan spends more
 * than the busy stages' budgets in the hooks, neither through debugfs nor
 * under memory pressure (kswapd and direct reclaim, which may wait here:
 * wait_kswapd_only is off). Once the answers are in, a scan evicts the
 * buffers, and they come back intact and attach again.
 */
TEST_F_TIMEOUT(virtgpu, slow_host, 300)
{
	struct drm_dumb_bo bo[SLOW_HOST_BOS];
	struct shrinker_stats before, now;
	long pages = 0, evicted;
	struct scan_log log;
	unsigned long long start;
	unsigned int i;
	double t0;

	for (i = 0; i < SLOW_HOST_BOS; i++) {
		ASSERT_EQ(0, bo_create(self->fd, MIB, &bo[i]));
		ASSERT_EQ(0, drm_dumb_map(self->fd, &bo[i]));
		drm_fill_unique(bo[i].map, MIB, 40 + i);
		ASSERT_EQ(0, drm_dumb_unmap(&bo[i]));
		ASSERT_EQ(0, bo_to_host(self->fd, &bo[i]));
		pages += MIB / PAGE;
	}
	ASSERT_EQ(0, shrinker_stats(self->fd, &before));
	ASSERT_EQ(0, shrinker_scans(self->fd, 0, &log));
	start = log.next;

	ASSERT_EQ(0, dri_debugfs_write(self->fd, "virtio-gpu-fence-delay-ms",
				       SLOW_HOST_DELAY));
	ASSERT_EQ(0, dri_debugfs_write(self->fd,
				       "gem_shrinker/wait_kswapd_only", "0"));

	/* The host has not answered: the pages stay, the scans go on. */
	t0 = now_s();
	ASSERT_EQ(0, shrinker_shrink(self->fd, 1UL << 30));
	ASSERT_EQ(0, shrinker_stats(self->fd, &now));
	ASSERT_EQ(0, shrinker_scans(self->fd, start, &log));
	TH_LOG("host late: %u scans in %.2f s, declined %lu",
	       log.scans, now_s() - t0, log.declined);
	TH_LOG("host late: hooks p50 %lu us p99 %lu us max %lu us, max scan %lu us",
	       log.hook_p50_us, log.hook_p99_us, log.max_hook_us,
	       log.max_time_us);
	EXPECT_GT(pages, now.evicted - before.evicted);
	EXPECT_LE(SLOW_HOST_BOS, log.declined);
	EXPECT_GE(SLOW_HOST_HOOK_US, log.max_hook_us);

	/* After the answers, the next scans let the pages go. */
	while (now_s() < t0 + 3.5)
		usleep(100 * 1000);
	ASSERT_EQ(0, shrink_until_evicted(self->fd, pages, &now));
	evicted = now.evicted - before.evicted;
	EXPECT_LE(pages, evicted);

	ASSERT_EQ(0, dri_debugfs_write(self->fd, "virtio-gpu-fence-delay-ms",
				       "0"));
	for (i = 0; i < SLOW_HOST_BOS; i++) {
		ASSERT_EQ(0, drm_dumb_map(self->fd, &bo[i]));
		ASSERT_CONTENTS(bo[i].map, MIB, 40 + i);
		ASSERT_EQ(0, drm_dumb_unmap(&bo[i]));
		ASSERT_EQ(0, bo_to_host(self->fd, &bo[i]));
	}

	/* Memory pressure against the attached buffers and a late host */
	ASSERT_EQ(0, dri_debugfs_write(self->fd, "virtio-gpu-fence-delay-ms",
				       SLOW_HOST_DELAY));
	ASSERT_EQ(0, shrinker_scans(self->fd, 0, &log));
	start = log.next;
	t0 = now_s();
	ASSERT_EQ(0, memory_pressure(self->pressure_mib));
	ASSERT_EQ(0, shrinker_scans(self->fd, start, &log));
	TH_LOG("pressure, host late: %u scans in %.2f s, declined %lu",
	       log.scans, now_s() - t0, log.declined);
	TH_LOG("pressure, host late: hooks p50 %lu us p99 %lu us max %lu us, max scan %lu us",
	       log.hook_p50_us, log.hook_p99_us, log.max_hook_us,
	       log.max_time_us);
	EXPECT_LT(0, log.scans);
	EXPECT_GE(SLOW_HOST_HOOK_US, log.max_hook_us);
	ASSERT_EQ(0, dri_debugfs_write(self->fd, "virtio-gpu-fence-delay-ms",
				       "0"));

	for (i = 0; i < SLOW_HOST_BOS; i++) {
		ASSERT_EQ(0, drm_dumb_map(self->fd, &bo[i]));
		ASSERT_CONTENTS(bo[i].map, MIB, 40 + i);
		ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo[i]));
	}
}

/*
 * DONTNEED on a buffer that is displayed takes effect once it is not: the
 * commits that keep it on screen still succeed (they failed with -EINVAL),
 * scans neither purge nor evict it while a DONTNEED buffer that is not
 * displayed is purged in the same scan, and once the output is off, showing
 * it again fails with -EINVAL and a scan purges it.
 */
TEST_F_TIMEOUT(virtgpu, dontneed_displayed, 300)
{
	struct drm_mode_fb_cmd fb = {};
	struct drm_dumb_bo bo, other;
	uint32_t retained;
	struct output out;

	if (find_output(self->fd, &out))
		SKIP(return, "no connected output");

	ASSERT_EQ(0, drm_dumb_create(self->fd, out.mode.hdisplay,
				     out.mode.vdisplay, 32, &bo));
	ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
	drm_fill_unique(bo.map, bo.size, 11);
	ASSERT_EQ(0, virtgpu_transfer_to_host(self->fd, bo.handle,
					      out.mode.hdisplay,
					      out.mode.vdisplay));
	ASSERT_EQ(0, virtgpu_wait(self->fd, bo.handle));
	fb.width = out.mode.hdisplay;
	fb.height = out.mode.vdisplay;
	fb.pitch = bo.pitch;
	fb.bpp = 32;
	fb.depth = 24;
	fb.handle = bo.handle;
	ASSERT_EQ(0, drm_ioctl(self->fd, DRM_IOCTL_MODE_ADDFB, &fb));
	ASSERT_EQ(0, set_crtc(self->fd, &out, fb.fb_id));

	ASSERT_EQ(0, bo_create(self->fd, 4 * MIB, &other));
	ASSERT_EQ(0, bo_to_host(self->fd, &other));
	ASSERT_EQ(0, virtgpu_madvise(self->fd, other.handle,
				     VIRTGPU_MADV_DONTNEED, 0, &retained));

	ASSERT_EQ(0, virtgpu_madvise(self->fd, bo.handle, VIRTGPU_MADV_DONTNEED,
				     0, &retained));
	EXPECT_EQ(1, retained);
	EXPECT_EQ(0, set_crtc(self->fd, &out, fb.fb_id));

	ASSERT_EQ(0, shrinker_shrink(self->fd, 1UL << 30));
	ASSERT_EQ(0, virtgpu_madvise(self->fd, other.handle,
				     VIRTGPU_MADV_DONTNEED, 0, &retained));
	EXPECT_EQ(0, retained) TH_LOG("the control buffer was not purged");
	ASSERT_EQ(0, virtgpu_madvise(self->fd, bo.handle, VIRTGPU_MADV_DONTNEED,
				     0, &retained));
	EXPECT_EQ(1, retained) TH_LOG("the displayed buffer was purged");
	ASSERT_CONTENTS(bo.map, bo.size, 11);
	EXPECT_EQ(0, set_crtc(self->fd, &out, fb.fb_id));

	ASSERT_EQ(0, set_crtc(self->fd, &out, 0));
	EXPECT_EQ(-EINVAL, set_crtc(self->fd, &out, fb.fb_id));
	ASSERT_EQ(0, shrinker_shrink(self->fd, 1UL << 30));
	ASSERT_EQ(0, virtgpu_madvise(self->fd, bo.handle, VIRTGPU_MADV_WILLNEED,
				     0, &retained));
	EXPECT_EQ(0, retained);
	EXPECT_TRUE(read_faults(bo.map));

	ASSERT_EQ(0, drm_ioctl(self->fd, DRM_IOCTL_MODE_RMFB, &fb.fb_id));
	ASSERT_EQ(0, munmap(bo.map, bo.size));
	bo.map = NULL;
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
	ASSERT_EQ(0, drm_dumb_destroy(self->fd, &other));
}

/*
 * Purging gives the host its memory back: rounds of 160 buffers of 256 KiB,
 * each attached and handed to the host, marked DONTNEED and purged in one
 * scan (two commands per buffer, more than the ring holds, so some find it
 * full), 520 MiB in all while every handle stays open; only the
 * RESOURCE_UNREF of the purge frees their host memory. The bounce guest runs
 * with max_hostmem=128M: a purge whose UNREF got lost fills it within the
 * first quarter, and the host then fails the creation of resources, which
 * the kernel logs (kmsg_host_errors()).
 */
#define PURGE_ROUND_BOS		160
#define PURGE_BO_SIZE		(256 * 1024)
#define PURGE_TOTAL		(512 * MIB)

TEST_F_TIMEOUT(virtgpu, purge_hostmem, 600)
{
	unsigned int rounds = (PURGE_TOTAL + PURGE_ROUND_BOS * PURGE_BO_SIZE - 1) /
			      (PURGE_ROUND_BOS * PURGE_BO_SIZE);
	struct shrinker_stats before, now;
	struct drm_dumb_bo *bo;
	unsigned int r, i, n;
	uint32_t retained;
	double t0 = now_s();

	bo = calloc(rounds * PURGE_ROUND_BOS, sizeof(*bo));
	ASSERT_NE(NULL, bo);
	ASSERT_EQ(0, shrinker_stats(self->fd, &before));
	for (r = 0, n = 0; r < rounds; r++) {
		unsigned int first = n;

		for (i = 0; i < PURGE_ROUND_BOS; i++, n++) {
			ASSERT_EQ(0, bo_create(self->fd, PURGE_BO_SIZE, &bo[n]))
				TH_LOG("round %u, buffer %u", r, i);
			ASSERT_EQ(0, bo_to_host(self->fd, &bo[n]))
				TH_LOG("round %u, buffer %u", r, i);
		}
		for (i = first; i < n; i++)
			ASSERT_EQ(0, virtgpu_madvise(self->fd, bo[i].handle,
						     VIRTGPU_MADV_DONTNEED, 0,
						     &retained));
		ASSERT_EQ(0, shrinker_shrink(self->fd, 1UL << 30));
		for (i = first; i < n; i++) {
			ASSERT_EQ(0, virtgpu_madvise(self->fd, bo[i].handle,
						     VIRTGPU_MADV_DONTNEED, 0,
						     &retained));
			ASSERT_EQ(0, retained)
				TH_LOG("round %u: buffer %u not purged", r,
				       i - first);
		}
		ASSERT_EQ(0, kmsg_host_errors(self->kmsg))
			TH_LOG("host errors in round %u", r);
	}
	ASSERT_EQ(0, shrinker_stats(self->fd, &now));
	TH_LOG("%u buffers, %u MiB purged in %.1f s", n,
	       (unsigned int)((uint64_t)n * PURGE_BO_SIZE / MIB),
	       now_s() - t0);
	EXPECT_LE((long)((uint64_t)n * PURGE_BO_SIZE / PAGE),
		  now.purged - before.purged);

	for (i = 0; i < n; i++)
		ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo[i]));
	free(bo);
}

/* The name of the PCI device behind the DRM device of @fd, e.g. 0000:00:02.0 */
static int drm_pci_name(int fd, char *name, size_t len)
{
	char path[64], *real, *base;
	struct stat sb;

	if (fstat(fd, &sb))
		return -errno;
	/* The DRM device's parent: the PCI device, or a virtio device on it */
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device",
		 major(sb.st_rdev), minor(sb.st_rdev));
	real = realpath(path, NULL);
	if (!real)
		return -errno;
	base = strrchr(real, '/');
	if (base && !strncmp(base + 1, "virtio", 6)) {
		*base = '\0';
		base = strrchr(real, '/');
	}
	snprintf(name, len, "%s", base ? base + 1 : real);
	free(real);
	return 0;
}

/* Open the device of @driver, waiting up to 10 s for it to appear */
static int drm_wait_driver(const char *driver)
{
	int i, fd = -ENODEV;

	for (i = 0; i < 100 && fd < 0; i++) {
		fd = drm_open_driver(driver);
		if (fd < 0)
			usleep(100 * 1000);
	}
	return fd;
}

/*
 * The fences that reclaim waits for are signalled from the virtqueues'
 * dequeue works: they run on a WQ_MEM_RECLAIM workqueue, whose rescuer
 * thread ("kworker/R-" and the workqueue's name in /proc/PID/comm, or the
 * first 15 characters of it) makes progress when no new worker can be
 * created.
 */
TEST_F(virtgpu, reclaim_workqueue)
{
	const char *rescuer = "kworker/R-virtio_gpu_vq";
	char path[288], comm[32];
	bool found = false;
	struct dirent *de;
	DIR *proc;
	FILE *f;

	proc = opendir("/proc");
	ASSERT_NE(NULL, proc);
	while (!found && (de = readdir(proc))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f)) {
			comm[strcspn(comm, "\n")] = '\0';
			/* The whole name, or as much as a comm holds */
			found = strlen(comm) >= 15 &&
				!strncmp(comm, rescuer, strlen(comm));
		}
		fclose(f);
	}
	closedir(proc);
	EXPECT_TRUE(found)
		TH_LOG("no rescuer %s: virtio-gpu's fences need a WQ_MEM_RECLAIM workqueue",
		       rescuer);
}

/* Export the buffer @handle of @fd as a dma-buf: its fd in @dmabuf */
static int prime_export(int fd, uint32_t handle, int *dmabuf)
{
	struct drm_prime_handle arg = {
		.handle = handle,
		.flags = DRM_CLOEXEC | DRM_RDWR,
	};
	int ret;

	ret = drm_ioctl(fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &arg);
	if (!ret)
		*dmabuf = arg.fd;
	return ret;
}

/* Import the dma-buf @dmabuf into @fd: the handle in @handle */
static int prime_import(int fd, int dmabuf, uint32_t *handle)
{
	struct drm_prime_handle arg = { .fd = dmabuf };
	int ret;

	ret = drm_ioctl(fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &arg);
	if (!ret)
		*handle = arg.handle;
	return ret;
}

static int gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close arg = { .handle = handle };

	return drm_ioctl(fd, DRM_IOCTL_GEM_CLOSE, &arg);
}

/* Buffers shared between virtio_gpu and vgem through dma-buf */
FIXTURE(prime) {
	int vfd;	/* virtio_gpu */
	int gfd;	/* vgem */
	int kmsg;
};

FIXTURE_SETUP(prime)
{
	self->kmsg = -1;
	self->gfd = -1;
	self->vfd = drm_open_driver("virtio_gpu");
	ASSERT_LE(0, self->vfd);
	self->gfd = drm_open_driver("vgem");
	ASSERT_LE(0, self->gfd);
	self->kmsg = kmsg_open();
	ASSERT_LE(0, self->kmsg);
}

FIXTURE_TEARDOWN(prime)
{
	if (self->kmsg >= 0)
		EXPECT_EQ(0, kmsg_host_errors(self->kmsg));
	close(self->kmsg);
	close(self->gfd);
	close(self->vfd);
}

/*
 * A virtio_gpu buffer imported into vgem. The export pins the buffer, for
 * the importers and the host may use it at any time: one that was evicted
 * comes back for it. vgem refuses to map an imported buffer itself; the
 * dma-buf's mapping and virtio_gpu's show the same bytes, whoever wrote
 * them. Memory pressure then evicts a control buffer of the same size, not
 * the shared one: it stays on the pinned LRU, and reading all of it through
 * both mappings swaps in nothing. It stays pinned after vgem's handle and
 * the dma-buf's fd are closed, as long as virtio_gpu's handle keeps the
 * dma-buf. A kernel that evicts an exported buffer leaves the importer's
 * sg_table pointing at freed pages: the swap-in count shows it, KASAN or
 * the contents too.
 */
TEST_F_TIMEOUT(prime, virtgpu_to_vgem, 300)
{
	struct shrinker_stats base, st, before, after;
	uint64_t size = 8 * MIB, offset;
	long pages = size / PAGE;
	struct drm_dumb_bo bo, ctl;
	struct stat sb, sb2;
	int dmabuf, dmabuf2;
	uint32_t handle;
	void *map;

	ASSERT_EQ(0, shrinker_stats(self->vfd, &base));
	ASSERT_EQ(0, bo_create(self->vfd, size, &bo));
	ASSERT_EQ(0, drm_dumb_map(self->vfd, &bo));
	drm_fill_unique(bo.map, size, 50);
	ASSERT_EQ(0, bo_to_host(self->vfd, &bo));
	ASSERT_EQ(0, bo_create(self->vfd, size, &ctl));
	ASSERT_EQ(0, drm_dumb_map(self->vfd, &ctl));
	drm_fill_unique(ctl.map, size, 51);
	ASSERT_EQ(0, bo_to_host(self->vfd, &ctl));
	ASSERT_EQ(0, shrink_until_evicted(self->vfd,
					  base.pages_evicted + 2 * pages, &st));
	ASSERT_LE(base.pages_evicted + 2 * pages, st.pages_evicted)
		shrinker_print(self->vfd);

	ASSERT_EQ(0, prime_export(self->vfd, bo.handle, &dmabuf));
	ASSERT_EQ(0, shrinker_stats(self->vfd, &after));
	EXPECT_LE(pages, after.swapin - st.swapin);
	EXPECT_LE(pages, after.pages_pinned - base.pages_pinned)
		shrinker_print(self->vfd);

	ASSERT_EQ(0, prime_import(self->gfd, dmabuf, &handle));
	EXPECT_EQ(-EINVAL, drm_dumb_map_offset(self->gfd, handle, &offset));
	/* vgem hands back the dma-buf that it imported. */
	ASSERT_EQ(0, prime_export(self->gfd, handle, &dmabuf2));
	ASSERT_EQ(0, fstat(dmabuf, &sb));
	ASSERT_EQ(0, fstat(dmabuf2, &sb2));
	EXPECT_EQ(sb.st_ino, sb2.st_ino);
	close(dmabuf2);

	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_CONTENTS(map, size, 50);
	drm_fill_unique(map, size, 52);
	ASSERT_CONTENTS(bo.map, size, 52);
	ASSERT_EQ(0, bo_to_host(self->vfd, &bo));

	/* The control comes back, and goes again under pressure. */
	ASSERT_CONTENTS(ctl.map, size, 51);
	ASSERT_EQ(0, memory_pressure(mem_total_mib()));
	ASSERT_EQ(0, shrink_until_evicted(self->vfd,
					  base.pages_evicted + pages, &before));
	EXPECT_LE(base.pages_evicted + pages, before.pages_evicted)
		shrinker_print(self->vfd);
	EXPECT_LE(pages, before.pages_pinned - base.pages_pinned);
	ASSERT_CONTENTS(map, size, 52);
	ASSERT_CONTENTS(bo.map, size, 52);
	ASSERT_EQ(0, shrinker_stats(self->vfd, &after));
	EXPECT_EQ(before.swapin, after.swapin)
		shrinker_print(self->vfd);

	ASSERT_EQ(0, munmap(map, size));
	close(dmabuf);
	ASSERT_EQ(0, gem_close(self->gfd, handle));
	ASSERT_EQ(0, shrinker_shrink(self->vfd, 1UL << 30));
	ASSERT_EQ(0, shrinker_stats(self->vfd, &after));
	EXPECT_LE(pages, after.pages_pinned - base.pages_pinned);
	ASSERT_CONTENTS(bo.map, size, 52);
	ASSERT_EQ(0, shrinker_stats(self->vfd, &st));
	EXPECT_EQ(after.swapin, st.swapin);
	ASSERT_EQ(0, bo_to_host(self->vfd, &bo));

	ASSERT_EQ(0, drm_dumb_destroy(self->vfd, &ctl));
	ASSERT_EQ(0, drm_dumb_destroy(self->vfd, &bo));
}

/*
 * A vgem buffer offered to virtio_gpu, and back to vgem. virtio_gpu in
 * 6.12 imports only buffers it exported itself (blob resources aside) and
 * refuses others with -ENODEV once it has the attachment's sg_table; the
 * buffer must come out of that intact. vgem takes its own dma-buf back as
 * the same handle, and in another file as a handle to the same object,
 * which it maps like its own: the three mappings (the first file's, the
 * dma-buf's, the second file's) show the same bytes. The export pins the
 * buffer: pressure that evicts a control buffer leaves it, and reading it
 * swaps in nothing. A kernel whose failed import leaves the sg_table mapped
 * or the object referenced shows it in kmemleak or KASAN, one that evicts
 * the exported buffer in the swap-in count or the contents.
 */
TEST_F_TIMEOUT(prime, vgem_to_virtgpu, 300)
{
	struct shrinker_stats base, before, after;
	uint64_t size = 8 * MIB;
	long pages = size / PAGE;
	struct drm_dumb_bo bo, ctl, other;
	uint32_t handle;
	int dmabuf, fd2;
	void *map;

	ASSERT_EQ(0, shrinker_stats(self->gfd, &base));
	ASSERT_EQ(0, bo_create(self->gfd, size, &bo));
	ASSERT_EQ(0, drm_dumb_map(self->gfd, &bo));
	drm_fill_unique(bo.map, size, 60);
	ASSERT_EQ(0, bo_create(self->gfd, size, &ctl));
	ASSERT_EQ(0, drm_dumb_map(self->gfd, &ctl));
	drm_fill_unique(ctl.map, size, 61);

	ASSERT_EQ(0, prime_export(self->gfd, bo.handle, &dmabuf));
	EXPECT_EQ(-ENODEV, prime_import(self->vfd, dmabuf, &handle));
	ASSERT_CONTENTS(bo.map, size, 60);

	ASSERT_EQ(0, prime_import(self->gfd, dmabuf, &handle));
	EXPECT_EQ(bo.handle, handle);
	fd2 = drm_open_driver("vgem");
	ASSERT_LE(0, fd2);
	memset(&other, 0, sizeof(other));
	other.size = size;
	ASSERT_EQ(0, prime_import(fd2, dmabuf, &other.handle));
	ASSERT_EQ(0, drm_dumb_map(fd2, &other));
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_CONTENTS(map, size, 60);
	ASSERT_CONTENTS(other.map, size, 60);
	drm_fill_unique(other.map, size, 62);
	ASSERT_CONTENTS(bo.map, size, 62);
	ASSERT_CONTENTS(map, size, 62);

	ASSERT_EQ(0, memory_pressure(mem_total_mib()));
	ASSERT_EQ(0, shrink_until_evicted(self->gfd,
					  base.pages_evicted + pages, &before));
	EXPECT_LE(base.pages_evicted + pages, before.pages_evicted)
		shrinker_print(self->gfd);
	EXPECT_LE(pages, before.pages_pinned - base.pages_pinned)
		shrinker_print(self->gfd);
	ASSERT_CONTENTS(bo.map, size, 62);
	ASSERT_CONTENTS(map, size, 62);
	ASSERT_CONTENTS(other.map, size, 62);
	ASSERT_EQ(0, shrinker_stats(self->gfd, &after));
	EXPECT_EQ(before.swapin, after.swapin)
		shrinker_print(self->gfd);
	ASSERT_CONTENTS(ctl.map, size, 61);

	ASSERT_EQ(0, munmap(map, size));
	ASSERT_EQ(0, drm_dumb_destroy(fd2, &other));
	close(fd2);
	close(dmabuf);
	ASSERT_EQ(0, drm_dumb_destroy(self->gfd, &ctl));
	ASSERT_EQ(0, drm_dumb_destroy(self->gfd, &bo));
}

#define VIRTIO_PCI	"/sys/bus/pci/drivers/virtio-pci/"
#define UNBIND_BOS	8

/*
 * Unbind the virtio-gpu PCI device while buffers are evicted, and bind it
 * again: first with every buffer and file closed, then with the file open
 * and the buffers still mapped, which are released only after the device
 * was unplugged. The device that comes back must work, with eviction, and
 * the guest's log must stay clean (the test harness checks it).
 */
TEST_F_TIMEOUT(virtgpu, unbind_rebind, 300)
{
	struct drm_dumb_bo bos[UNBIND_BOS], bo;
	struct shrinker_stats st;
	uint64_t size = MIB;
	char pci[64];
	int round, i;

	ASSERT_EQ(0, drm_pci_name(self->fd, pci, sizeof(pci)));
	TH_LOG("virtio-gpu PCI device %s", pci);

	for (round = 0; round < 2; round++) {
		for (i = 0; i < UNBIND_BOS; i++) {
			ASSERT_EQ(0, bo_create(self->fd, size, &bos[i]));
			ASSERT_EQ(0, drm_dumb_map(self->fd, &bos[i]));
			drm_fill_unique(bos[i].map, size, 300 + i);
			ASSERT_EQ(0, bo_to_host(self->fd, &bos[i]));
		}
		ASSERT_EQ(0, shrink_until_evicted(self->fd,
						  UNBIND_BOS * size / PAGE, &st));
		ASSERT_LE((long)(UNBIND_BOS * size / PAGE), st.pages_evicted)
			shrinker_print(self->fd);

		if (!round) {
			for (i = 0; i < UNBIND_BOS; i++)
				ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bos[i]));
			close(self->fd);
			self->fd = -1;
		}
		ASSERT_EQ(0, drm_write_file(VIRTIO_PCI "unbind", pci));
		if (round) {
			/* The last references go after the unplug. */
			for (i = 0; i < UNBIND_BOS; i++)
				ASSERT_EQ(0, drm_dumb_unmap(&bos[i]));
			close(self->fd);
			self->fd = -1;
		}
		ASSERT_EQ(-ENODEV, drm_open_driver("virtio_gpu"));
		ASSERT_EQ(0, drm_write_file(VIRTIO_PCI "bind", pci));

		self->fd = drm_wait_driver("virtio_gpu");
		ASSERT_LE(0, self->fd)
			TH_LOG("no virtio_gpu device after binding %s again", pci);

		/* The new device evicts and swaps in. */
		ASSERT_EQ(0, bo_create(self->fd, size, &bo));
		ASSERT_EQ(0, drm_dumb_map(self->fd, &bo));
		drm_fill_unique(bo.map, size, 400 + round);
		ASSERT_EQ(0, bo_to_host(self->fd, &bo));
		ASSERT_EQ(0, shrinker_shrink(self->fd, 1UL << 30));
		ASSERT_EQ(0, shrinker_stats(self->fd, &st));
		EXPECT_LE((long)(size / PAGE), st.pages_evicted)
			shrinker_print(self->fd);
		ASSERT_CONTENTS(bo.map, size, 400 + round);
		ASSERT_EQ(0, bo_to_host(self->fd, &bo));
		ASSERT_EQ(0, drm_dumb_destroy(self->fd, &bo));
	}
}

/* The wait policy of the GEM shrinker of @fd: 1 kswapd only, 0 also direct */
static int shrinker_wait_kswapd_only(int fd)
{
	char path[96], c = 0;
	int f, ret;

	ret = shrinker_path(fd, "wait_kswapd_only", path, sizeof(path));
	if (ret)
		return ret;
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	ret = read(f, &c, 1) == 1 ? c == 'Y' : -EIO;
	close(f);
	return ret;
}

/*
 * A busy buffer is not evicted: with an unsignalled vgem fence (a write)
 * on the only buffer of the device, a debugfs scan, which like direct
 * reclaim does not wait for fences (wait_kswapd_only, the default), leaves
 * it in memory. Once the fence is signalled a scan evicts it, and its
 * contents come back. vgem signals a fence itself after 10 s, and the
 * signal ioctl then fails with -ETIMEDOUT: its success shows that the fence
 * was pending during the whole first scan. A kernel that evicts busy
 * buffers (a GPU would write into freed pages) fails the first check, one
 * that waits for the fence in direct reclaim fails the signal, one that
 * keeps the buffer busy forever fails the second.
 */
TEST(vgem_fence_busy)
{
	struct drm_vgem_fence_attach attach = { .flags = VGEM_FENCE_WRITE };
	struct drm_vgem_fence_signal signal = {};
	struct shrinker_stats base, before, after;
	uint64_t size = 4 * MIB;
	long pages = size / PAGE;
	struct drm_dumb_bo bo;
	int fd;

	fd = drm_open_driver("vgem");
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, shrinker_wait_kswapd_only(fd));
	ASSERT_EQ(0, shrinker_stats(fd, &base));
	ASSERT_EQ(0, bo_create(fd, size, &bo));
	ASSERT_EQ(0, drm_dumb_map(fd, &bo));
	drm_fill_unique(bo.map, size, 40);
	attach.handle = bo.handle;
	ASSERT_EQ(0, drm_ioctl(fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &attach));
	/* In memory, in case kswapd evicted it before the fence came */
	ASSERT_CONTENTS(bo.map, size, 40);

	ASSERT_EQ(0, shrinker_stats(fd, &before));
	ASSERT_EQ(0, shrinker_shrink(fd, 1UL << 30));
	ASSERT_EQ(0, shrinker_stats(fd, &after));
	signal.fence = attach.out_fence;
	ASSERT_EQ(0, drm_ioctl(fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &signal))
		TH_LOG("the fence timed out: did the scan wait for it?");
	EXPECT_EQ(before.evicted, after.evicted)
		shrinker_print(fd);
	EXPECT_EQ(base.pages_evicted, after.pages_evicted);
	EXPECT_LE(pages, after.pages_willneed);

	ASSERT_EQ(0, shrink_until_evicted(fd, base.pages_evicted + pages,
					  &after));
	EXPECT_LE(base.pages_evicted + pages, after.pages_evicted)
		shrinker_print(fd);
	EXPECT_LE(before.evicted + pages, after.evicted);
	ASSERT_CONTENTS(bo.map, size, 40);
	ASSERT_EQ(0, drm_dumb_destroy(fd, &bo));
	close(fd);
}

/* Where mk/guest/init loads vgem from */
#define VGEM_MODULE	"/lib/modules/vgem.ko"
#define RELOAD_BOS	4

/* Unload vgem, waiting up to 5 s for the files of earlier tests to close */
static int vgem_unload(void)
{
	int i;

	for (i = 0; i < 50; i++) {
		if (!syscall(SYS_delete_module, "vgem", O_NONBLOCK))
			return 0;
		if (errno != EWOULDBLOCK && errno != EBUSY)
			return -errno;
		usleep(100 * 1000);
	}
	return -EBUSY;
}

static int vgem_load(void)
{
	int fd, ret = 0;

	fd = open(VGEM_MODULE, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (syscall(SYS_finit_module, fd, "", 0))
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Unload vgem after its buffers were evicted and closed, load it again, and
 * repeat: the device's shrinker and its debugfs files go with the device,
 * the next device gets new ones that work, and the guest's log stays clean
 * (the test harness checks it). vgem must be a module (CONFIG_DRM_VGEM=m),
 * loaded from VGEM_MODULE; it is loaded again at the end.
 */
TEST(vgem_module_reload)
{
	struct drm_dumb_bo bos[RELOAD_BOS];
	struct shrinker_stats st;
	uint64_t size = MIB;
	int round, i, fd;

	for (round = 0; round < 3; round++) {
		fd = drm_wait_driver("vgem");
		ASSERT_LE(0, fd);
		for (i = 0; i < RELOAD_BOS; i++) {
			ASSERT_EQ(0, bo_create(fd, size, &bos[i]));
			ASSERT_EQ(0, drm_dumb_map(fd, &bos[i]));
			drm_fill_unique(bos[i].map, size, 500 + i);
		}
		ASSERT_EQ(0, shrink_until_evicted(fd, RELOAD_BOS * size / PAGE,
						  &st));
		EXPECT_LE((long)(RELOAD_BOS * size / PAGE), st.pages_evicted)
			shrinker_print(fd);
		for (i = 0; i < RELOAD_BOS; i++)
			ASSERT_CONTENTS(bos[i].map, size, 500 + i);
		for (i = 0; i < RELOAD_BOS; i += 2)
			ASSERT_EQ(0, drm_dumb_destroy(fd, &bos[i]));
		for (i = 1; i < RELOAD_BOS; i += 2)
			ASSERT_EQ(0, drm_dumb_unmap(&bos[i]));
		/* The other half is evicted again, and goes with the file. */
		ASSERT_EQ(0, shrinker_shrink(fd, 1UL << 30));
		close(fd);

		ASSERT_EQ(0, vgem_unload())
			TH_LOG("cannot unload vgem: is it a module?");
		ASSERT_EQ(-ENODEV, drm_open_driver("vgem"));
		ASSERT_EQ(0, vgem_load())
			TH_LOG("cannot load %s", VGEM_MODULE);
	}
	fd = drm_wait_driver("vgem");
	ASSERT_LE(0, fd);
	close(fd);
}

TEST_HARNESS_MAIN

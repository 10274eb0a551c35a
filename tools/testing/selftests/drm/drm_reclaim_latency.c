// SPDX-License-Identifier: GPL-2.0
/*
 * Reclaim latency benchmark: how much does the eviction of GEM buffer objects
 * by the GEM shrinker slow down the memory allocations of an unrelated task,
 * compared with the same memory pressure made of anonymous memory?
 *
 * A probe (this process) allocates a small anonymous mapping, writes to each
 * of its pages and unmaps it again, every 2 ms, and records how long that
 * took, in four phases that run one after another:
 *
 *  idle       no memory pressure: the baseline;
 *  anon       a child process maps anonymous memory worth a multiple of
 *             MemTotal (-f) and keeps writing to every page, so that reclaim
 *             swaps it out and in all the time;
 *  bo         the same amount in vgem dumb buffers, written through their
 *             CPU mappings, which only the GEM shrinker can evict. A thread
 *             of the child keeps a fraction of them (-b) busy with vgem write
 *             fences, each for -k ms, round robin, so that the busy stages of
 *             the shrinker wait for fences in reclaim, with the debugfs knob
 *             gem_shrinker/wait_kswapd_only cleared: direct reclaim waits
 *             for busy buffers too;
 *  bo-kswapd  the same with the knob set (the default): only kswapd waits
 *             for busy buffers, direct reclaim never.
 *
 * Each phase reports percentiles of the probe's latency, and what the GEM
 * shrinker (debugfs gem_shrinker/stats of the vgem device) and the core
 * reclaim (/proc/vmstat) did meanwhile, so that the reader can see that the
 * pressure was real. The ratios of the percentiles come from one run, which
 * matters on a noisy machine. This is a benchmark, not a test of the
 * numbers: a phase fails only when it could not run as intended.
 */

#define _GNU_SOURCE
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

#include <drm/vgem_drm.h>

#include "drm_helpers.h"
#include "../kselftest.h"

#define MIB			(1024 * 1024)
#define NSEC_PER_SEC		1000000000ull
#define NSEC_PER_MSEC		1000000ull
#define NSEC_PER_USEC		1000ull

#define BO_SIZE			(4 * MIB)
#define BO_WIDTH		1024	/* pixels of 32 bits: 4 KiB per row */
#define PROBE_INTERVAL_NS	(2 * NSEC_PER_MSEC)
#define CHILD_POLL_NS		(100 * NSEC_PER_MSEC)
#define SETTLE_S		3	/* calm down between phases */
#define FILL_WAIT_MAX_S		600	/* -F: longest wait for the fill */
#define HEADROOM_MIB		150	/* for the rest of the system */

enum phase {
	PHASE_IDLE,
	PHASE_ANON,
	PHASE_BO,
	PHASE_BO_KSWAPD,
	NR_PHASES,
};

static const char * const phase_names[NR_PHASES] = {
	[PHASE_IDLE] = "idle",
	[PHASE_ANON] = "anon",
	[PHASE_BO] = "bo",
	[PHASE_BO_KSWAPD] = "bo-kswapd",
};

enum content {
	CONTENT_SPARSE,		/* one word per page: zram stores it for free */
	CONTENT_2TO1,		/* drm_fill_2to1(): zram halves it */
};

static struct {
	unsigned int phase_s;
	unsigned int warmup_s;
	double factor;
	unsigned int probe_kib;
	unsigned int busy_div;
	unsigned int hold_ms;
	unsigned int phases;	/* mask of enum phase */
	enum content content;
	bool after_fill;
} opt = {
	.phase_s = 20,
	.warmup_s = 3,
	.factor = 1.5,
	.probe_kib = 64,
	.busy_div = 4,
	.hold_ms = 50,
	.phases = (1u << NR_PHASES) - 1,
	.content = CONTENT_SPARSE,
};

static size_t page_size;

/*
 * What a pressure child tells the parent, in memory they share. The child
 * writes the counters, the parent reads them at any time.
 */
struct pressure {
	uint64_t start_ns;	/* the child started */
	uint64_t filled_ns;	/* it had written all its memory once, or 0 */
	uint64_t pages;		/* pages of pressure */
	uint64_t touched;	/* pages written so far, fill included */
	uint64_t fences;	/* fences attached and signalled again */
	uint64_t timedout;	/* of which vgem had signalled after 10 s */
	uint64_t max_hold_ns;	/* longest time a fence was unsignalled */
	unsigned int bos;
	unsigned int busy;
	char msg[160];		/* why the child failed */
};

static struct pressure *pressure;

/* The child of the phase that runs, for the cleanup on signals */
static pid_t child_pid;

/* gem_shrinker/wait_kswapd_only, its value at start, and if this process set it */
static char knob_path[128];
static bool knob_default = true;
static int knob_set;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = ns / NSEC_PER_SEC,
		.tv_nsec = ns % NSEC_PER_SEC,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void sleep_until(uint64_t deadline)
{
	struct timespec ts = {
		.tv_sec = deadline / NSEC_PER_SEC,
		.tv_nsec = deadline % NSEC_PER_SEC,
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* A field of /proc/meminfo, in MiB, or 0 */
static size_t meminfo_mib(const char *field)
{
	char line[128], name[64];
	size_t kib, mib = 0;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^:]: %zu kB", name, &kib) == 2 &&
		    !strcmp(name, field)) {
			mib = kib / 1024;
			break;
		}
	}
	fclose(f);
	return mib;
}

/* What the core reclaim did: counters of /proc/vmstat */
struct vmstat {
	unsigned long long pswpin;
	unsigned long long pswpout;
	unsigned long long allocstall;	/* all allocstall_* zones */
	bool events;			/* CONFIG_VM_EVENT_COUNTERS */
};

static void vmstat_read(struct vmstat *vm)
{
	unsigned long long val;
	char name[64];
	FILE *f;

	memset(vm, 0, sizeof(*vm));
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return;
	while (fscanf(f, "%63s %llu", name, &val) == 2) {
		if (!strcmp(name, "pswpin")) {
			vm->pswpin = val;
			vm->events = true;
		} else if (!strcmp(name, "pswpout")) {
			vm->pswpout = val;
		} else if (!strncmp(name, "allocstall_", strlen("allocstall_"))) {
			vm->allocstall += val;
		}
	}
	fclose(f);
}

/* Counters of the GEM shrinker of the vgem device, from debugfs */
struct shrinker_stats {
	long purged;
	long evicted;
	long swapin;
};

/* The gem_shrinker debugfs directory of the vgem device, or "" */
static char shrinker_dir[96];

static int shrinker_read(struct shrinker_stats *st)
{
	char path[128], line[256];
	int found = 0;
	FILE *f;

	if (!shrinker_dir[0])
		return -ENODEV;
	snprintf(path, sizeof(path), "%s/stats", shrinker_dir);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "purged_pages: %ld", &st->purged) == 1 ||
		    sscanf(line, "evicted_pages: %ld", &st->evicted) == 1 ||
		    sscanf(line, "swapin_pages: %ld", &st->swapin) == 1)
			found++;
	}
	fclose(f);
	return found == 3 ? 0 : -EINVAL;
}

/* The value of wait_kswapd_only, or @fallback if it cannot be read */
static bool knob_read(bool fallback)
{
	char val[4] = "";
	FILE *f;

	f = fopen(knob_path, "r");
	if (!f)
		return fallback;
	if (!fgets(val, sizeof(val), f))
		val[0] = fallback ? 'Y' : 'N';
	fclose(f);
	return val[0] == 'Y' || val[0] == '1';
}

/*
 * Find the vgem device and the debugfs directory of its GEM shrinker. The
 * device is closed again: the parent holds no buffer objects.
 */
static int find_vgem(char *card, size_t len)
{
	struct stat sb;
	int fd;

	fd = drm_open_driver("vgem");
	if (fd < 0)
		return fd;
	if (fstat(fd, &sb)) {
		close(fd);
		return -errno;
	}
	close(fd);
	snprintf(card, len, DRM_DIR "/card%u", minor(sb.st_rdev));
	snprintf(shrinker_dir, sizeof(shrinker_dir),
		 "/sys/kernel/debug/dri/%u/gem_shrinker", minor(sb.st_rdev));
	snprintf(knob_path, sizeof(knob_path), "%s/wait_kswapd_only",
		 shrinker_dir);
	knob_default = knob_read(true);
	return 0;
}

/* Write 0 or 1 to wait_kswapd_only; async-signal-safe. */
static int knob_write(bool on)
{
	return drm_write_file(knob_path, on ? "1\n" : "0\n");
}

/* Kill the pressure child and reset the knob; async-signal-safe. */
static void cleanup(void)
{
	int saved_errno = errno;
	pid_t pid = __atomic_load_n(&child_pid, __ATOMIC_RELAXED);

	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		__atomic_store_n(&child_pid, 0, __ATOMIC_RELAXED);
	}
	if (__atomic_load_n(&knob_set, __ATOMIC_RELAXED)) {
		knob_write(knob_default);
		__atomic_store_n(&knob_set, 0, __ATOMIC_RELAXED);
	}
	errno = saved_errno;
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static const int cleanup_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static void set_signals(void (*handler)(int))
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cleanup_signals); i++)
		signal(cleanup_signals[i], handler);
}

/* Let a pressure child fail with a message for the parent. */
static __noreturn __printf(1, 2) void child_fail(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(pressure->msg, sizeof(pressure->msg), fmt, args);
	va_end(args);
	_exit(KSFT_FAIL);
}

static void count_touched(uint64_t pages)
{
	__atomic_fetch_add(&pressure->touched, pages, __ATOMIC_RELAXED);
}

static void fill(void *map, size_t size, uint32_t seed)
{
	size_t off;

	if (opt.content == CONTENT_2TO1) {
		drm_fill_2to1(map, size, seed);
		return;
	}
	for (off = 0; off < size; off += page_size)
		__atomic_store_n((uint32_t *)((char *)map + off),
				 seed * 0x9e3779b1u + off / page_size + 1,
				 __ATOMIC_RELAXED);
}

/* Write one byte to every page of @map. */
static void touch(void *map, size_t size, unsigned int pass)
{
	size_t off;

	for (off = 0; off < size; off += page_size)
		__atomic_store_n((char *)map + off, (char)(pass | 1),
				 __ATOMIC_RELAXED);
}

/* Anonymous pressure: fill, then write to every page again, forever. */
static __noreturn void anon_pressure(size_t size)
{
	size_t chunk = BO_SIZE, off;
	unsigned int pass;
	char *map;

	map = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		child_fail("mmap of %zu MiB: %s", size / MIB, strerror(errno));
	/* Like the buffer objects: swapped out page by page */
	madvise(map, size, MADV_NOHUGEPAGE);

	for (off = 0; off < size; off += chunk) {
		fill(map + off, chunk, off / chunk);
		count_touched(chunk / page_size);
	}
	__atomic_store_n(&pressure->filled_ns, now_ns(), __ATOMIC_RELAXED);

	for (pass = 1;; pass++) {
		for (off = 0; off < size; off += chunk) {
			touch(map + off, chunk, pass);
			count_touched(chunk / page_size);
		}
	}
}

struct fencer {
	int fd;
	struct drm_dumb_bo *bo;
	unsigned int n;
	unsigned int busy;
	uint64_t hold_ns;
};

static int fence_attach(int fd, uint32_t handle, uint32_t *fence)
{
	struct drm_vgem_fence_attach arg = {
		.handle = handle,
		.flags = VGEM_FENCE_WRITE,
	};
	int ret;

	ret = drm_ioctl(fd, DRM_IOCTL_VGEM_FENCE_ATTACH, &arg);
	if (!ret)
		*fence = arg.out_fence;
	return ret;
}

static int fence_signal(int fd, uint32_t fence)
{
	struct drm_vgem_fence_signal arg = { .fence = fence };

	return drm_ioctl(fd, DRM_IOCTL_VGEM_FENCE_SIGNAL, &arg);
}

/*
 * Keep @busy of the buffers busy, each for @hold_ns: a window of @busy
 * consecutive buffers slides over them, one buffer every @hold_ns / @busy.
 * At every step the oldest fence is signalled and a new one attached to the
 * next buffer. A failing ioctl ends the whole child.
 */
static void *fencer(void *arg)
{
	const struct fencer *f = arg;
	uint64_t step = f->hold_ns / f->busy, deadline, now, held;
	uint64_t *since;
	uint32_t *fence;
	unsigned long k;
	int ret;

	fence = calloc(f->busy, sizeof(*fence));
	since = calloc(f->busy, sizeof(*since));
	if (!fence || !since)
		child_fail("out of memory for %u fences", f->busy);

	deadline = now_ns();
	for (k = 0;; k++) {
		unsigned int slot = k % f->busy;
		const struct drm_dumb_bo *bo = &f->bo[k % f->n];

		if (since[slot]) {
			ret = fence_signal(f->fd, fence[slot]);
			held = now_ns() - since[slot];
			/* vgem signals a fence itself after 10 s */
			if (ret == -ETIMEDOUT)
				__atomic_fetch_add(&pressure->timedout, 1,
						   __ATOMIC_RELAXED);
			else if (ret)
				child_fail("DRM_IOCTL_VGEM_FENCE_SIGNAL: %s",
					   strerror(-ret));
			__atomic_fetch_add(&pressure->fences, 1,
					   __ATOMIC_RELAXED);
			if (held > pressure->max_hold_ns)
				__atomic_store_n(&pressure->max_hold_ns, held,
						 __ATOMIC_RELAXED);
		}
		ret = fence_attach(f->fd, bo->handle, &fence[slot]);
		if (ret)
			child_fail("DRM_IOCTL_VGEM_FENCE_ATTACH: %s",
				   strerror(-ret));
		since[slot] = now_ns();

		/* Far behind (stuck in reclaim?): do not catch up in a burst. */
		deadline += step;
		now = now_ns();
		if (now > deadline + f->hold_ns)
			deadline = now;
		else
			sleep_until(deadline);
	}
	return NULL;
}

/*
 * Buffer object pressure: vgem dumb buffers of 4 MiB, mapped, filled and
 * written to again forever, with a thread that keeps some of them busy.
 */
static __noreturn void bo_pressure(size_t size)
{
	struct fencer f = { .hold_ns = opt.hold_ms * NSEC_PER_MSEC };
	unsigned int i, pass;
	pthread_t thread;
	int ret;

	f.fd = drm_open_driver("vgem");
	if (f.fd < 0)
		child_fail("no vgem device in " DRM_DIR);
	f.n = size / BO_SIZE ?: 1;
	f.busy = 0;
	if (opt.busy_div)
		f.busy = f.n / opt.busy_div ?: 1;
	f.bo = calloc(f.n, sizeof(*f.bo));
	if (!f.bo)
		child_fail("out of memory");
	pressure->bos = f.n;
	pressure->busy = f.busy;

	for (i = 0; i < f.n; i++) {
		ret = drm_dumb_create(f.fd, BO_WIDTH, BO_SIZE / (BO_WIDTH * 4),
				      32, &f.bo[i]);
		if (ret)
			child_fail("DRM_IOCTL_MODE_CREATE_DUMB, buffer %u of %u: %s",
				   i, f.n, strerror(-ret));
		ret = drm_dumb_map(f.fd, &f.bo[i]);
		if (ret)
			child_fail("mapping buffer %u of %u: %s", i, f.n,
				   strerror(-ret));
	}

	if (f.busy) {
		ret = pthread_create(&thread, NULL, fencer, &f);
		if (ret)
			child_fail("pthread_create: %s", strerror(ret));
	}

	for (i = 0; i < f.n; i++) {
		fill(f.bo[i].map, f.bo[i].size, i);
		count_touched(f.bo[i].size / page_size);
	}
	__atomic_store_n(&pressure->filled_ns, now_ns(), __ATOMIC_RELAXED);

	for (pass = 1;; pass++) {
		for (i = 0; i < f.n; i++) {
			touch(f.bo[i].map, f.bo[i].size, pass);
			count_touched(f.bo[i].size / page_size);
		}
	}
}

/* Start the pressure of @phase in a child process. */
static pid_t start_pressure(enum phase phase, size_t size)
{
	pid_t parent = getpid(), pid;

	memset(pressure, 0, sizeof(*pressure));
	pressure->start_ns = now_ns();
	pressure->pages = size / page_size;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid)
		return pid;

	/* Never outlive the benchmark, and be the first the OOM killer takes */
	set_signals(SIG_DFL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(KSFT_FAIL);
	drm_write_file("/proc/self/oom_score_adj", "1000");

	if (phase == PHASE_ANON)
		anon_pressure(size);
	bo_pressure(size);
}

/* Why a pressure child ended before its time, from its wait status */
static void child_reason(int status, char *buf, size_t len)
{
	double after = (now_ns() - pressure->start_ns) / 1e9;

	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		snprintf(buf, len,
			 "pressure child killed by SIGKILL after %.1f s (OOM killer?)",
			 after);
	else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS)
		snprintf(buf, len,
			 "pressure child killed by SIGBUS after %.1f s (a buffer failed to swap in?)",
			 after);
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "pressure child killed by %s after %.1f s",
			 strsignal(WTERMSIG(status)), after);
	else if (pressure->msg[0])
		snprintf(buf, len, "%s", pressure->msg);
	else
		snprintf(buf, len, "pressure child exited with %d after %.1f s",
			 WEXITSTATUS(status), after);
}

/* Whether the child is gone; then *status is its wait status. */
static bool child_gone(pid_t pid, int *status)
{
	return pid > 0 && waitpid(pid, status, WNOHANG) == pid;
}

/*
 * Sleep @ns, or less if the child dies. Returns false if it did.
 */
static bool wait_child(pid_t pid, uint64_t ns, int *status)
{
	uint64_t end = now_ns() + ns, now;

	while ((now = now_ns()) < end) {
		if (child_gone(pid, status))
			return false;
		sleep_ns(end - now < CHILD_POLL_NS ? end - now : CHILD_POLL_NS);
	}
	return !child_gone(pid, status);
}

/* -F: wait until the child has written all its memory once. */
static bool wait_filled(pid_t pid, int *status)
{
	uint64_t end = now_ns() + FILL_WAIT_MAX_S * NSEC_PER_SEC;

	while (!__atomic_load_n(&pressure->filled_ns, __ATOMIC_RELAXED)) {
		if (now_ns() > end) {
			ksft_print_msg("not filled after %d s, measuring anyway\n",
				       FILL_WAIT_MAX_S);
			break;
		}
		if (!wait_child(pid, CHILD_POLL_NS, status))
			return false;
	}
	return true;
}

/* Latency samples of the probe, in ns, preallocated and locked */
static uint64_t *samples;
static size_t max_samples;

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The @per10k / 10000 quantile (nearest rank) of @n sorted samples, in us */
static double quantile_us(const uint64_t *sorted, size_t n, unsigned int per10k)
{
	size_t rank = (n * per10k + 9999) / 10000;

	if (!n)
		return 0;
	return sorted[rank ? rank - 1 : 0] / (double)NSEC_PER_USEC;
}

/*
 * The probe: map @opt.probe_kib of anonymous memory, write to every page,
 * unmap, every PROBE_INTERVAL_NS, for the phase's duration. Returns false
 * if the child @pid died meanwhile.
 */
static bool probe(pid_t pid, size_t *n, unsigned long *failed, int *status)
{
	size_t len = (size_t)opt.probe_kib * 1024, off;
	uint64_t end = now_ns() + opt.phase_s * NSEC_PER_SEC, t0;
	char *p;

	*n = 0;
	*failed = 0;
	while (now_ns() < end && *n < max_samples) {
		t0 = now_ns();
		p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED) {
			for (off = 0; off < len; off += page_size)
				__atomic_store_n(p + off, 1, __ATOMIC_RELAXED);
			munmap(p, len);
			samples[(*n)++] = now_ns() - t0;
		} else {
			(*failed)++;
		}
		if (child_gone(pid, status))
			return false;
		sleep_ns(PROBE_INTERVAL_NS);
	}
	return true;
}

struct result {
	bool ok;
	double p50;
	double p99;
};

static bool phase_uses_bo(enum phase phase)
{
	return phase == PHASE_BO || phase == PHASE_BO_KSWAPD;
}

/* Print the figures of the pressure child of @phase. */
static void print_pressure(enum phase phase, size_t mib)
{
	const char *name = phase_names[phase];
	uint64_t filled = __atomic_load_n(&pressure->filled_ns, __ATOMIC_RELAXED);
	uint64_t touched = __atomic_load_n(&pressure->touched, __ATOMIC_RELAXED);
	double passes = pressure->pages ? (double)touched / pressure->pages : 0;
	char fill[64];

	if (filled)
		snprintf(fill, sizeof(fill), "filled in %.1f s",
			 (filled - pressure->start_ns) / 1e9);
	else
		snprintf(fill, sizeof(fill), "not filled yet");

	if (phase == PHASE_ANON) {
		ksft_print_msg("%s: pressure %zu MiB of anonymous memory; %s, %.2f passes\n",
			       name, mib, fill, passes);
		return;
	}
	ksft_print_msg("%s: pressure %zu MiB in %u buffers of %u MiB; %s, %.2f passes\n",
		       name, mib, pressure->bos, BO_SIZE / MIB, fill, passes);
	if (!pressure->busy) {
		ksft_print_msg("%s: no busy buffers\n", name);
		return;
	}
	ksft_print_msg("%s: %u busy for %u ms each: %llu fences, %llu timed out, ",
		       name, pressure->busy, opt.hold_ms,
		       (unsigned long long)pressure->fences,
		       (unsigned long long)pressure->timedout);
	printf("longest busy %.0f ms\n", pressure->max_hold_ns / 1e6);
}

static void run_phase(enum phase phase, size_t mib, struct result *res)
{
	const char *name = phase_names[phase];
	struct shrinker_stats sb = {}, sa = {};
	bool have_stats, alive = true;
	unsigned long failed = 0;
	struct vmstat vb, va;
	char reason[256] = "", lat[128], gem[96];
	pid_t pid = 0;
	int status = 0;
	size_t n = 0;
	int ret;

	memset(res, 0, sizeof(*res));
	if (phase_uses_bo(phase)) {
		if (!shrinker_dir[0]) {
			ksft_test_result_fail("%s # no vgem device in " DRM_DIR "\n",
					      name);
			return;
		}
		ret = shrinker_read(&sb);
		if (ret) {
			ksft_test_result_fail("%s # no GEM shrinker stats in %s: %s\n",
					      name, shrinker_dir, strerror(-ret));
			return;
		}
	}
	if (phase_uses_bo(phase)) {
		ret = knob_write(phase == PHASE_BO_KSWAPD);
		if (ret == -ENOENT) {
			ksft_print_msg("%s: no %s: the shrinker cannot wait in kswapd only\n",
				       name, knob_path);
			ksft_test_result_fail("%s # no gem_shrinker/wait_kswapd_only in debugfs\n",
					      name);
			return;
		}
		if (ret) {
			ksft_test_result_fail("%s # cannot set %s: %s\n", name,
					      knob_path, strerror(-ret));
			return;
		}
		__atomic_store_n(&knob_set, 1, __ATOMIC_RELAXED);
		ksft_print_msg("%s: %s = %d\n", name, knob_path,
			       phase == PHASE_BO_KSWAPD);
	}

	if (phase != PHASE_IDLE) {
		pid = start_pressure(phase, mib * MIB);
		if (pid < 0) {
			snprintf(reason, sizeof(reason), "fork: %s",
				 strerror(errno));
			alive = false;
			pid = 0;
		}
		__atomic_store_n(&child_pid, pid, __ATOMIC_RELAXED);
		if (pid && opt.after_fill)
			alive = wait_filled(pid, &status);
		if (pid && alive)
			alive = wait_child(pid, opt.warmup_s * NSEC_PER_SEC,
					   &status);
	}

	if (alive) {
		have_stats = !shrinker_read(&sb);
		vmstat_read(&vb);
		alive = probe(pid, &n, &failed, &status);
		have_stats = have_stats && !shrinker_read(&sa);
		vmstat_read(&va);
	}

	if (pid) {
		if (alive) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		} else if (!reason[0]) {
			child_reason(status, reason, sizeof(reason));
		}
		__atomic_store_n(&child_pid, 0, __ATOMIC_RELAXED);
	}
	if (__atomic_load_n(&knob_set, __ATOMIC_RELAXED)) {
		ret = knob_write(knob_default);
		if (ret)
			ksft_print_msg("%s: cannot reset %s: %s\n", name,
				       knob_path, strerror(-ret));
		__atomic_store_n(&knob_set, 0, __ATOMIC_RELAXED);
	}

	if (pid)
		print_pressure(phase, mib);
	if (!alive) {
		ksft_test_result_fail("%s # %s\n", name, reason);
		return;
	}

	qsort(samples, n, sizeof(*samples), cmp_u64);
	snprintf(lat, sizeof(lat),
		 "n=%zu p50=%.0f us p90=%.0f us p99=%.0f us p99.9=%.0f us max=%.0f us",
		 n, quantile_us(samples, n, 5000),
		 quantile_us(samples, n, 9000), quantile_us(samples, n, 9900),
		 quantile_us(samples, n, 9990), quantile_us(samples, n, 10000));
	if (have_stats)
		snprintf(gem, sizeof(gem),
			 "evicted %ld pages, swapped in %ld, purged %ld",
			 sa.evicted - sb.evicted, sa.swapin - sb.swapin,
			 sa.purged - sb.purged);
	else
		snprintf(gem, sizeof(gem), "no GEM shrinker stats");
	if (va.events)
		ksft_print_msg("%s: %s; %s, pswpout %llu, pswpin %llu, allocstalls %llu\n",
			       name, lat, gem, va.pswpout - vb.pswpout,
			       va.pswpin - vb.pswpin,
			       va.allocstall - vb.allocstall);
	else
		ksft_print_msg("%s: %s; %s (no vm event counters)\n",
			       name, lat, gem);
	ksft_print_msg("%s: swap used %zu MiB at the end\n", name,
		       meminfo_mib("SwapTotal") - meminfo_mib("SwapFree"));
	if (failed)
		ksft_print_msg("%s: the probe's mmap failed %lu times\n", name,
			       failed);

	if (!n) {
		ksft_test_result_fail("%s # no sample\n", name);
		return;
	}
	if (phase_uses_bo(phase) && have_stats && sa.evicted == sb.evicted) {
		ksft_test_result_fail("%s # no page was evicted\n", name);
		return;
	}
	res->ok = true;
	res->p50 = quantile_us(samples, n, 5000);
	res->p99 = quantile_us(samples, n, 9900);
	ksft_test_result_pass("%s\n", name);
}

static void ratio(char *buf, size_t len, const struct result *a,
		  const struct result *b, bool p99)
{
	double x = p99 ? a->p99 : a->p50, y = p99 ? b->p99 : b->p50;

	if (a->ok && b->ok && y > 0)
		snprintf(buf, len, "%.2f", x / y);
	else
		snprintf(buf, len, "n/a");
}

static void print_summary(const struct result *res)
{
	char r[4][16];

	ratio(r[0], sizeof(r[0]), &res[PHASE_BO], &res[PHASE_ANON], true);
	ratio(r[1], sizeof(r[1]), &res[PHASE_BO_KSWAPD], &res[PHASE_ANON], true);
	ratio(r[2], sizeof(r[2]), &res[PHASE_BO], &res[PHASE_ANON], false);
	ratio(r[3], sizeof(r[3]), &res[PHASE_BO_KSWAPD], &res[PHASE_ANON], false);
	ksft_print_msg("p99 ratio bo/anon = %s, bo-kswapd/anon = %s, ",
		       r[0], r[1]);
	printf("p50 ratio bo/anon = %s, bo-kswapd/anon = %s\n", r[2], r[3]);
	ratio(r[0], sizeof(r[0]), &res[PHASE_ANON], &res[PHASE_IDLE], true);
	ratio(r[1], sizeof(r[1]), &res[PHASE_ANON], &res[PHASE_IDLE], false);
	ksft_print_msg("p99 ratio anon/idle = %s, p50 ratio anon/idle = %s\n",
		       r[0], r[1]);
}

static void usage(const char *prog, FILE *f)
{
	fprintf(f,
		"Usage: %s [-t SECONDS] [-w SECONDS] [-f FACTOR] [-s KIB] [-b DIV]\n"
		"          [-k MS] [-c sparse|2to1] [-F] [-p PHASES]\n"
		"\n"
		"Latency of an unrelated task's allocations under memory pressure of\n"
		"anonymous memory and of vgem buffer objects.\n"
		"\n"
		"  -t SECONDS  measurement per phase (default %u)\n"
		"  -w SECONDS  warm-up: start of the pressure to the measurement (default %u)\n"
		"  -F          count the warm-up from the end of the pressure's first fill\n"
		"  -f FACTOR   pressure, times MemTotal (default %.2f)\n"
		"  -s KIB      the probe's allocation (default %u)\n"
		"  -b DIV      keep 1/DIV of the buffers busy, 0: none (default %u)\n"
		"  -k MS       how long each buffer stays busy (default %u)\n"
		"  -c CONTENT  sparse: one word per page, almost free in zram (default);\n"
		"              2to1: compresses 2:1, zram takes RAM: lower -f\n"
		"  -p PHASES   comma-separated subset of idle,anon,bo,bo-kswapd\n"
		"  -h          this help\n",
		prog, opt.phase_s, opt.warmup_s, opt.factor, opt.probe_kib,
		opt.busy_div, opt.hold_ms);
}

static unsigned int parse_uint(const char *prog, const char *arg,
			       unsigned int min, unsigned int max)
{
	unsigned long val;
	char *end;

	errno = 0;
	val = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || val < min || val > max) {
		fprintf(stderr, "%s: bad value '%s' (%u..%u)\n", prog, arg, min,
			max);
		exit(KSFT_FAIL);
	}
	return val;
}

static unsigned int parse_phases(const char *prog, const char *arg)
{
	char *list = strdup(arg), *tok, *save = NULL;
	unsigned int mask = 0, i;

	if (!list)
		exit(KSFT_FAIL);
	for (tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NR_PHASES; i++)
			if (!strcmp(tok, phase_names[i]))
				break;
		if (i == NR_PHASES) {
			fprintf(stderr, "%s: unknown phase '%s'\n", prog, tok);
			exit(KSFT_FAIL);
		}
		mask |= 1u << i;
	}
	free(list);
	if (!mask) {
		fprintf(stderr, "%s: no phase\n", prog);
		exit(KSFT_FAIL);
	}
	return mask;
}

static void parse_options(int argc, char **argv)
{
	char *end;
	int c;

	while ((c = getopt(argc, argv, "t:w:f:s:b:k:c:p:Fh")) != -1) {
		switch (c) {
		case 't':
			opt.phase_s = parse_uint(argv[0], optarg, 1, 3600);
			break;
		case 'w':
			opt.warmup_s = parse_uint(argv[0], optarg, 0, 3600);
			break;
		case 'f':
			opt.factor = strtod(optarg, &end);
			if (end == optarg || *end || !(opt.factor > 0) ||
			    opt.factor > 16) {
				fprintf(stderr, "%s: bad factor '%s'\n",
					argv[0], optarg);
				exit(KSFT_FAIL);
			}
			break;
		case 's':
			opt.probe_kib = parse_uint(argv[0], optarg, 4, 1024 * 1024);
			break;
		case 'b':
			opt.busy_div = parse_uint(argv[0], optarg, 0, 1 << 20);
			break;
		case 'k':
			opt.hold_ms = parse_uint(argv[0], optarg, 1, 9000);
			break;
		case 'c':
			if (!strcmp(optarg, "sparse")) {
				opt.content = CONTENT_SPARSE;
			} else if (!strcmp(optarg, "2to1")) {
				opt.content = CONTENT_2TO1;
			} else {
				fprintf(stderr, "%s: unknown content '%s'\n",
					argv[0], optarg);
				exit(KSFT_FAIL);
			}
			break;
		case 'p':
			opt.phases = parse_phases(argv[0], optarg);
			break;
		case 'F':
			opt.after_fill = true;
			break;
		case 'h':
			usage(argv[0], stdout);
			exit(KSFT_PASS);
		default:
			usage(argv[0], stderr);
			exit(KSFT_FAIL);
		}
	}
	if (optind < argc) {
		usage(argv[0], stderr);
		exit(KSFT_FAIL);
	}
}

int main(int argc, char **argv)
{
	struct result res[NR_PHASES] = {};
	size_t mem_mib, swap_mib, mib;
	unsigned int i, planned = 0;
	char card[64];
	int ret;

	parse_options(argc, argv);
	page_size = sysconf(_SC_PAGESIZE);
	for (i = 0; i < NR_PHASES; i++)
		planned += !!(opt.phases & (1u << i));

	ksft_print_header();
	ksft_set_plan(planned);

	mem_mib = meminfo_mib("MemTotal");
	swap_mib = meminfo_mib("SwapTotal");
	if (!mem_mib)
		ksft_exit_fail_msg("no MemTotal in /proc/meminfo\n");
	mib = mem_mib * opt.factor;
	if (mib < BO_SIZE / MIB)
		mib = BO_SIZE / MIB;
	mib -= mib % (BO_SIZE / MIB);

	ksft_print_msg("MemTotal %zu MiB, SwapTotal %zu MiB: ", mem_mib,
		       swap_mib);
	printf("pressure %zu MiB (%.2f x MemTotal) of %s pages\n", mib,
	       opt.factor,
	       opt.content == CONTENT_2TO1 ? "2:1 compressible" : "sparse");
	if (mib + HEADROOM_MIB > mem_mib + swap_mib)
		ksft_print_msg("warning: pressure + %d MiB exceeds RAM + swap: %s\n",
			       HEADROOM_MIB,
			       "the OOM killer may end the pressure");
	ksft_print_msg("probe: %u KiB every %llu ms, for %u s per phase after %u s of warm-up%s\n",
		       opt.probe_kib, PROBE_INTERVAL_NS / NSEC_PER_MSEC,
		       opt.phase_s, opt.warmup_s,
		       opt.after_fill ? " from the end of the fill" : "");

	ret = find_vgem(card, sizeof(card));
	if (ret)
		ksft_print_msg("no vgem device in " DRM_DIR ": %s\n",
			       strerror(-ret));
	else
		ksft_print_msg("vgem: %s, GEM shrinker in %s\n", card,
			       shrinker_dir);

	pressure = mmap(NULL, sizeof(*pressure), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pressure == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %s\n", strerror(errno));
	max_samples = opt.phase_s * NSEC_PER_SEC / PROBE_INTERVAL_NS + 16;
	samples = calloc(max_samples, sizeof(*samples));
	if (!samples)
		ksft_exit_fail_msg("out of memory for %zu samples\n",
				   max_samples);
	memset(samples, 0, max_samples * sizeof(*samples));

	/*
	 * The probe measures its allocations, not the swap-in of its own
	 * code and data; and the OOM killer takes the pressure, not it.
	 */
	if (mlockall(MCL_CURRENT))
		ksft_print_msg("mlockall: %s: the probe may fault itself\n",
			       strerror(errno));
	drm_write_file("/proc/self/oom_score_adj", "-1000");

	atexit(cleanup);
	set_signals(on_signal);

	for (i = 0; i < NR_PHASES; i++) {
		if (!(opt.phases & (1u << i)))
			continue;
		run_phase(i, mib, &res[i]);
		/* A calm start for the next phase */
		if (i != PHASE_IDLE && (opt.phases >> (i + 1)))
			sleep_ns(SETTLE_S * NSEC_PER_SEC);
	}

	print_summary(res);
	ksft_finished();
}

// SPDX-License-Identifier: GPL-2.0
/*
 * gem-demo: the workload of make demo (mk/demo.sh), run as /gem-demo in the
 * guest.
 *
 *   gem-demo bo|anon [-n] [-t TARGET_MIB] [-s CHUNK_MIB] [-d EVERY] [-i MS]
 *                    [-l S]
 *
 * "bo" allocates virtio-gpu dumb buffers of CHUNK_MIB (default 4) MiB, fills
 * each through a CPU mapping with the pattern of drm_reclaim (compressible
 * about 2:1), hands it to the host (TRANSFER_TO_HOST; on the patched kernel
 * that attaches its backing pages, which makes them the GEM shrinker's to
 * evict) and unmaps it, keeping every buffer alive, until TARGET_MIB
 * (default 320) MiB are allocated or an allocation fails. After every EVERY
 * (default 16, 0: none) buffers it allocates one more, fills it and marks it
 * DONTNEED (DRM_IOCTL_VIRTGPU_MADVISE): those are extra, purgeable, and not
 * part of the working set. Then it marks them WILLNEED again, counts how many
 * were retained and checks those, and reads back every byte of every other
 * buffer through a new mapping.
 *
 * "anon" does the same with anonymous memory (mmap MAP_ANONYMOUS), chunk by
 * chunk, without the DONTNEED extras.
 *
 * With -n, only the fill runs: no DONTNEED check, no read-back. Used with a
 * target the guest cannot hold, it measures how much fits before the fill
 * fails or the OOM killer stops it.
 *
 * The work runs in a child process that the OOM killer prefers
 * (oom_score_adj 1000) and reports its progress in shared memory; the parent
 * and a sampler process are protected from the OOM killer and locked in
 * memory. The sampler prints the resident GEM memory (from the GEM shrinker
 * statistics in debugfs, when the kernel has them), /proc/meminfo, zram and
 * swap figures every MS (default 500) milliseconds. The parent kills the
 * child after S (default 600) seconds. Output, one record per line:
 *
 *   demo: sample t=<s> key=value...      from the sampler
 *   demo: event t=<s> what=<...> ...     from the child, as it goes
 *   demo: result key=value...            from the parent, at the end
 *
 * The exit status is 0 when the child finished and every byte it read back
 * was right, 1 otherwise.
 */

#define _GNU_SOURCE
#include <getopt.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>

#include <drm/virtgpu_drm.h>

#include "drm_helpers.h"

#define MIB		(1024 * 1024)
#define PAGE		4096
#define ROW		1024	/* pixels of 32 bits per row of a dumb buffer */

/* Buffer contents: drm_pattern_2to1() of drm_helpers.h, as drm_reclaim */

enum phase { PHASE_SETUP, PHASE_FILL, PHASE_DONTNEED, PHASE_READ, PHASE_DONE };

static const char * const phase_names[] = {
	"setup", "fill", "dontneed", "read", "done",
};

/* The GEM shrinker's counters, in pages */
struct gem_counters {
	long purged;
	long evicted;
	long swapin;
};

/* What the child did, in memory shared with the parent */
struct progress {
	int phase;
	unsigned int kept;		/* working-set chunks allocated */
	unsigned int dontneed;		/* DONTNEED extras allocated */
	unsigned int checked;		/* chunks read back */
	unsigned int bad;		/* chunks with wrong contents */
	unsigned int first_bad;		/* its index, offset and word */
	long long first_bad_offset;
	uint32_t first_bad_found;
	unsigned int purged;		/* DONTNEED extras that lost contents */
	unsigned int retained;		/* DONTNEED extras still there */
	unsigned int retained_bad;	/* ... with wrong contents */
	int madvise_err;		/* 0, or the errno of the madvise ioctl */
	char stop[64];			/* why the fill stopped */
	double t_fill, t_filled, t_read, t_done;
	double host_s;			/* time in host transfers, fill */
	struct gem_counters gem_start, gem_filled, gem_done;
	long pswpin_start, pswpin_filled, pswpin_done;
	long pswpout_start, pswpout_filled, pswpout_done;
};

static struct progress *prog;
static double t0;
static char stats_path[96];
static uint64_t chunk = 4 * MIB;
static unsigned int target_mib = 320;
static unsigned int dontneed_every = 16;
static bool fill_only;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9 - t0;
}

/* One line on stdout, written at once so that processes do not interleave. */
static void out(const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if (len > (int)sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	if (write(STDOUT_FILENO, line, len) < 0)
		return;
}

/* Read a small file into @buf, NUL-terminated. Returns its length or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t len, total = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((size_t)total < size - 1) {
		len = read(fd, buf + total, size - 1 - total);
		if (len <= 0)
			break;
		total += len;
	}
	close(fd);
	buf[total] = '\0';
	return total;
}

/* The value of "key" (followed by ':' or ' ') in a file of such lines */
static long field(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, len) && (p[len] == ':' || p[len] == ' '))
			return strtol(p + len + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

/* The pages column of a state line of the GEM shrinker's stats file */
static long state_pages(const char *text, const char *state)
{
	size_t len = strlen(state);
	const char *p = text;
	long objects, pages;

	while (p && *p) {
		if (!strncmp(p, state, len) && p[len] == ' ' &&
		    sscanf(p + len, "%ld %ld", &objects, &pages) == 2)
			return pages;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}

static bool gem_counters(struct gem_counters *c)
{
	char text[2048];

	memset(c, 0, sizeof(*c));
	if (!stats_path[0] || read_file(stats_path, text, sizeof(text)) <= 0)
		return false;
	c->purged = field(text, "purged_pages");
	c->evicted = field(text, "evicted_pages");
	c->swapin = field(text, "swapin_pages");
	return true;
}

static void vmstat_swap(long *in, long *outp)
{
	static char text[16384];

	*in = *outp = 0;
	if (read_file("/proc/vmstat", text, sizeof(text)) <= 0)
		return;
	*in = field(text, "pswpin");
	*outp = field(text, "pswpout");
}

/*
 * One sample: resident and evicted GEM memory (pages of the objects on the
 * pinned, WILLNEED and DONTNEED LRUs, and on the evicted LRU), the
 * shrinker's counters, memory and swap from /proc/meminfo, what zram holds,
 * and the progress of the child.
 */
static void sample(void)
{
	static char mem[4096], gem[2048], zram[256];
	unsigned long long orig = 0, compr = 0, used = 0;
	long resident = 0, evicted = 0, purged = 0, evict = 0, swapin = 0;
	long pswpin, pswpout;

	if (stats_path[0] && read_file(stats_path, gem, sizeof(gem)) > 0) {
		resident = state_pages(gem, "pinned") +
			   state_pages(gem, "willneed") +
			   state_pages(gem, "dontneed");
		evicted = state_pages(gem, "evicted");
		purged = field(gem, "purged_pages");
		evict = field(gem, "evicted_pages");
		swapin = field(gem, "swapin_pages");
	}
	read_file("/proc/meminfo", mem, sizeof(mem));
	if (read_file("/sys/block/zram0/mm_stat", zram, sizeof(zram)) > 0)
		sscanf(zram, "%llu %llu %llu", &orig, &compr, &used);
	vmstat_swap(&pswpin, &pswpout);

	out("demo: sample t=%.2f phase=%s kept=%u checked=%u gem_resident_kib=%ld gem_evicted_kib=%ld gem_purged=%ld gem_evict=%ld gem_swapin=%ld memfree_kib=%ld memavail_kib=%ld shmem_kib=%ld anon_kib=%ld unevictable_kib=%ld swap_used_kib=%ld zram_orig_kib=%llu zram_compr_kib=%llu zram_used_kib=%llu pswpin=%ld pswpout=%ld",
	    now(), phase_names[prog->phase], prog->kept, prog->checked,
	    resident * (PAGE / 1024), evicted * (PAGE / 1024),
	    purged, evict, swapin,
	    field(mem, "MemFree"), field(mem, "MemAvailable"),
	    field(mem, "Shmem"), field(mem, "AnonPages"),
	    field(mem, "Unevictable"),
	    field(mem, "SwapTotal") - field(mem, "SwapFree"),
	    orig / 1024, compr / 1024, used / 1024, pswpin, pswpout);
}

static volatile sig_atomic_t sampler_stop;

static void sampler_signal(int sig)
{
	sampler_stop = 1;
}

static void sampler(unsigned int interval_ms)
{
	struct timespec ts = {
		.tv_sec = interval_ms / 1000,
		.tv_nsec = (interval_ms % 1000) * 1000000L,
	};
	struct sigaction sa = { .sa_handler = sampler_signal };

	/* Memory locks are not inherited: take them again. */
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		perror("mlockall");
	sigaction(SIGTERM, &sa, NULL);
	while (!sampler_stop) {
		sample();
		nanosleep(&ts, NULL);
	}
	sample();
	_exit(0);
}

static void set_oom_score_adj(int adj)
{
	char buf[16];
	int fd, len;

	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = snprintf(buf, sizeof(buf), "%d", adj);
	if (write(fd, buf, len) != len)
		perror("oom_score_adj");
	close(fd);
}

/* Record in @prog and print the counters at the end of a phase. */
static void snapshot(const char *what, struct gem_counters *gem, long *in,
		     long *outp)
{
	gem_counters(gem);
	vmstat_swap(in, outp);
	out("demo: event t=%.2f what=%s kept=%u dontneed=%u stop=%s gem_purged=%ld gem_evict=%ld gem_swapin=%ld pswpin=%ld pswpout=%ld",
	    now(), what, prog->kept, prog->dontneed, prog->stop, gem->purged,
	    gem->evicted, gem->swapin, *in, *outp);
}

static void stop_fill(const char *what, int err)
{
	snprintf(prog->stop, sizeof(prog->stop), "%s:%s", what,
		 strerrorname_np(err) ?: "?");
}

/* Writing to or reading from a mapping that cannot be populated */
static sigjmp_buf sigbus_jmp;

static void sigbus_handler(int sig)
{
	siglongjmp(sigbus_jmp, 1);
}

static void note_bad(unsigned int index, int64_t offset, uint32_t found)
{
	if (!prog->bad++) {
		prog->first_bad = index;
		prog->first_bad_offset = offset;
		prog->first_bad_found = found;
		out("demo: event t=%.2f what=bad index=%u offset=%lld found=0x%08x expected=0x%08x",
		    now(), index, (long long)offset, found,
		    drm_pattern_2to1(index, offset));
	}
}

/* A virtio-gpu dumb buffer of the workload */
struct demo_bo {
	struct drm_dumb_bo bo;
	uint32_t seed;
	bool dontneed;
};

static int virtgpu_to_host(int fd, struct drm_dumb_bo *bo)
{
	struct drm_virtgpu_3d_transfer_to_host xfer = {
		.bo_handle = bo->handle,
		.box = { .w = ROW, .h = bo->size / bo->pitch, .d = 1 },
	};
	struct drm_virtgpu_3d_wait wait = { .handle = bo->handle };
	int ret;

	ret = drm_ioctl(fd, DRM_IOCTL_VIRTGPU_TRANSFER_TO_HOST, &xfer);
	return ret ?: drm_ioctl(fd, DRM_IOCTL_VIRTGPU_WAIT, &wait);
}

static int virtgpu_madvise(int fd, uint32_t handle, uint32_t madv,
			   uint32_t *retained)
{
	struct drm_virtgpu_madvise arg = {
		.bo_handle = handle,
		.madv = madv,
	};
	int ret;

	ret = drm_ioctl(fd, DRM_IOCTL_VIRTGPU_MADVISE, &arg);
	if (!ret && retained)
		*retained = arg.retained;
	return ret;
}

/*
 * Create, fill, hand to the host and unmap one buffer. Returns 0, or a
 * negative errno with prog->stop set.
 */
static int bo_make(int fd, struct demo_bo *b)
{
	double t;
	int ret;

	ret = drm_dumb_create(fd, ROW, chunk / (ROW * 4), 32, &b->bo);
	if (ret) {
		stop_fill("create", -ret);
		return ret;
	}
	ret = drm_dumb_map(fd, &b->bo);
	if (ret) {
		stop_fill("mmap", -ret);
		return ret;
	}
	if (sigsetjmp(sigbus_jmp, 1)) {
		snprintf(prog->stop, sizeof(prog->stop), "fill:SIGBUS");
		return -EFAULT;
	}
	drm_fill_2to1(b->bo.map, b->bo.size, b->seed);
	t = now();
	ret = virtgpu_to_host(fd, &b->bo);
	prog->host_s += now() - t;
	if (ret) {
		stop_fill("transfer", -ret);
		return ret;
	}
	drm_dumb_unmap(&b->bo);
	return 0;
}

/* Map and check one buffer; a mapping that faults counts as bad. */
static void bo_check(int fd, struct demo_bo *b, unsigned int *bad)
{
	uint32_t found = 0;
	int64_t offset;

	if (drm_dumb_map(fd, &b->bo)) {
		note_bad(b->seed, 0, 0);
		(*bad)++;
		return;
	}
	if (sigsetjmp(sigbus_jmp, 1)) {
		note_bad(b->seed, 0, 0);
		(*bad)++;
	} else {
		offset = drm_check_2to1(b->bo.map, b->bo.size, b->seed, &found);
		if (offset >= 0) {
			note_bad(b->seed, offset, found);
			(*bad)++;
		}
	}
	drm_dumb_unmap(&b->bo);
}

static int work_bo(int fd)
{
	unsigned int n = target_mib * (uint64_t)MIB / chunk;
	unsigned int max = n + (dontneed_every ? n / dontneed_every : 0) + 1;
	struct demo_bo *bos = calloc(max, sizeof(*bos));
	unsigned int i, total = 0, since_dontneed = 0;
	uint32_t retained;
	int ret;

	if (!bos)
		return -ENOMEM;

	prog->phase = PHASE_FILL;
	prog->t_fill = now();
	while (prog->kept < n) {
		struct demo_bo *b = &bos[total];

		b->seed = total;
		b->dontneed = dontneed_every && since_dontneed == dontneed_every;
		ret = bo_make(fd, b);
		if (ret)
			break;
		total++;
		if (!b->dontneed) {
			prog->kept++;
			since_dontneed++;
			continue;
		}
		since_dontneed = 0;
		prog->dontneed++;
		ret = virtgpu_madvise(fd, b->bo.handle, VIRTGPU_MADV_DONTNEED,
				      NULL);
		if (ret) {
			/* The base kernel has no madvise: keep it. */
			prog->madvise_err = -ret;
			b->dontneed = false;
			prog->dontneed--;
			prog->kept++;
		}
	}
	if (prog->kept == n)
		snprintf(prog->stop, sizeof(prog->stop), "target");
	prog->t_filled = now();
	snapshot("filled", &prog->gem_filled, &prog->pswpin_filled,
		 &prog->pswpout_filled);
	if (fill_only)
		goto out;

	/* The DONTNEED extras: purged, or still there and intact? */
	prog->phase = PHASE_DONTNEED;
	for (i = 0; i < total; i++) {
		if (!bos[i].dontneed)
			continue;
		ret = virtgpu_madvise(fd, bos[i].bo.handle,
				      VIRTGPU_MADV_WILLNEED, &retained);
		if (ret || !retained) {
			prog->purged++;
		} else {
			prog->retained++;
			bo_check(fd, &bos[i], &prog->retained_bad);
		}
		drm_dumb_destroy(fd, &bos[i].bo);
	}
	out("demo: event t=%.2f what=dontneed allocated=%u purged=%u retained=%u retained_bad=%u madvise_err=%d",
	    now(), prog->dontneed, prog->purged, prog->retained,
	    prog->retained_bad, prog->madvise_err);

	/* Read back in the order of writing: the oldest went to swap first. */
	prog->phase = PHASE_READ;
	prog->t_read = now();
	for (i = 0; i < total; i++) {
		if (bos[i].dontneed)
			continue;
		bo_check(fd, &bos[i], &prog->bad);
		prog->checked++;
	}
	prog->t_done = now();
	snapshot("done", &prog->gem_done, &prog->pswpin_done,
		 &prog->pswpout_done);

out:
	for (i = 0; i < total; i++)
		if (bos[i].bo.handle)
			drm_dumb_destroy(fd, &bos[i].bo);
	free(bos);
	return 0;
}

static int work_anon(void)
{
	unsigned int n = target_mib * (uint64_t)MIB / chunk;
	char **maps = calloc(n, sizeof(*maps));
	uint32_t found = 0;
	int64_t offset;
	unsigned int i;

	if (!maps)
		return -ENOMEM;

	prog->phase = PHASE_FILL;
	prog->t_fill = now();
	for (i = 0; i < n; i++) {
		maps[i] = mmap(NULL, chunk, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (maps[i] == MAP_FAILED) {
			maps[i] = NULL;
			stop_fill("mmap", errno);
			break;
		}
		drm_fill_2to1(maps[i], chunk, i);
		prog->kept++;
	}
	if (prog->kept == n)
		snprintf(prog->stop, sizeof(prog->stop), "target");
	prog->t_filled = now();
	snapshot("filled", &prog->gem_filled, &prog->pswpin_filled,
		 &prog->pswpout_filled);

	prog->phase = PHASE_READ;
	prog->t_read = now();
	for (i = 0; i < prog->kept && !fill_only; i++) {
		offset = drm_check_2to1(maps[i], chunk, i, &found);
		if (offset >= 0)
			note_bad(i, offset, found);
		prog->checked++;
	}
	prog->t_done = now();
	snapshot("done", &prog->gem_done, &prog->pswpin_done,
		 &prog->pswpout_done);

	for (i = 0; i < prog->kept; i++)
		munmap(maps[i], chunk);
	free(maps);
	return 0;
}

static void worker(bool bo)
{
	struct sigaction sa = { .sa_handler = sigbus_handler };
	int fd = -1, ret;

	/* The OOM killer takes this process first, nothing else. */
	set_oom_score_adj(1000);
	sigaction(SIGBUS, &sa, NULL);

	snapshot("start", &prog->gem_start, &prog->pswpin_start,
		 &prog->pswpout_start);
	if (bo) {
		fd = drm_open_driver("virtio_gpu");
		if (fd < 0) {
			stop_fill("open", -fd);
			_exit(2);
		}
		ret = work_bo(fd);
		close(fd);
	} else {
		ret = work_anon();
	}
	prog->phase = PHASE_DONE;
	_exit(ret ? 2 : 0);
}

static void usage(void)
{
	fprintf(stderr, "usage: gem-demo bo|anon [-n] [-t TARGET_MIB] [-s CHUNK_MIB] [-d EVERY] [-i MS] [-l S]\n");
	exit(2);
}

static double rate(double mib, double s)
{
	return s > 0 ? mib / s : 0;
}

int main(int argc, char **argv)
{
	unsigned int interval_ms = 500, limit_s = 600;
	int opt, status, fd;
	pid_t sampler_pid, worker_pid;
	double mib, chunk_mib, t_end;
	char how[64];
	struct stat sb;
	bool bo, ok;

	while ((opt = getopt(argc, argv, "t:s:d:i:l:n")) != -1) {
		switch (opt) {
		case 'n':
			fill_only = true;
			break;
		case 't':
			target_mib = strtoul(optarg, NULL, 0);
			break;
		case 's':
			chunk = strtoull(optarg, NULL, 0) * MIB;
			break;
		case 'd':
			dontneed_every = strtoul(optarg, NULL, 0);
			break;
		case 'i':
			interval_ms = strtoul(optarg, NULL, 0);
			break;
		case 'l':
			limit_s = strtoul(optarg, NULL, 0);
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || !chunk || !target_mib || !interval_ms)
		usage();
	if (!strcmp(argv[optind], "bo"))
		bo = true;
	else if (!strcmp(argv[optind], "anon"))
		bo = false;
	else
		usage();
	chunk_mib = (double)chunk / MIB;

	t0 = now();
	prog = mmap(NULL, sizeof(*prog), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (prog == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(prog, 0, sizeof(*prog));
	snprintf(prog->stop, sizeof(prog->stop), "none");

	/*
	 * The GEM shrinker statistics of the virtio-gpu device, if the kernel
	 * has them. The device is closed again: only the child may own
	 * buffers, so that they go when it is killed.
	 */
	fd = drm_open_driver("virtio_gpu");
	if (fd >= 0 && !fstat(fd, &sb)) {
		snprintf(stats_path, sizeof(stats_path),
			 "/sys/kernel/debug/dri/%u/gem_shrinker/stats",
			 minor(sb.st_rdev));
		if (access(stats_path, R_OK))
			stats_path[0] = '\0';
	}
	if (fd >= 0)
		close(fd);

	set_oom_score_adj(-1000);
	if (mlockall(MCL_CURRENT | MCL_FUTURE))
		perror("mlockall");
	out("demo: start kind=%s target_mib=%u chunk_mib=%.0f dontneed_every=%u gem_stats=%s",
	    bo ? "bo" : "anon", target_mib, chunk_mib, bo ? dontneed_every : 0,
	    stats_path[0] ? stats_path : "none");

	sampler_pid = fork();
	if (sampler_pid < 0) {
		perror("fork");
		return 1;
	}
	if (!sampler_pid)
		sampler(interval_ms);

	worker_pid = fork();
	if (worker_pid < 0) {
		perror("fork");
		return 1;
	}
	if (!worker_pid) {
		munlockall();
		worker(bo);
	}

	/* Wait for the child, at most limit_s seconds. */
	for (;;) {
		pid_t pid = waitpid(worker_pid, &status, WNOHANG);

		if (pid == worker_pid)
			break;
		if (pid < 0 && errno != EINTR) {
			perror("waitpid");
			return 1;
		}
		if (now() > limit_s) {
			kill(worker_pid, SIGKILL);
			waitpid(worker_pid, &status, 0);
			snprintf(prog->stop, sizeof(prog->stop), "timeout");
			break;
		}
		usleep(100000);
	}
	t_end = now();

	/* Let the sampler show the memory coming back, then stop it. */
	usleep(interval_ms * 2000);
	kill(sampler_pid, SIGTERM);
	waitpid(sampler_pid, NULL, 0);

	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed:%s",
			 sigabbrev_np(WTERMSIG(status)) ?: "?");
	else
		snprintf(how, sizeof(how), "exit:%d", WEXITSTATUS(status));
	/* A fill that ended with the child: record how. */
	if (prog->phase == PHASE_FILL && !strcmp(prog->stop, "none"))
		snprintf(prog->stop, sizeof(prog->stop), "%s", how);

	mib = prog->kept * chunk_mib;
	ok = WIFEXITED(status) && !WEXITSTATUS(status) &&
	     prog->phase == PHASE_DONE &&
	     (fill_only || prog->checked == prog->kept) &&
	     !prog->bad && !prog->retained_bad;
	/* Counters at the end of a phase the child did not finish */
	if (!prog->t_filled) {
		prog->t_filled = t_end;
		snapshot("end", &prog->gem_filled, &prog->pswpin_filled,
			 &prog->pswpout_filled);
	}
	if (!prog->t_done) {
		prog->gem_done = prog->gem_filled;
		prog->pswpin_done = prog->pswpin_filled;
		prog->pswpout_done = prog->pswpout_filled;
	}
	out("demo: result kind=%s child=%s phase=%s stop=%s chunk_mib=%.0f kept=%u kept_mib=%.0f dontneed=%u dontneed_mib=%.0f purged=%u retained=%u retained_bad=%u madvise_err=%d checked=%u checked_mib=%.0f bad=%u first_bad=%u first_bad_offset=%lld verified=%s fill_s=%.2f host_s=%.2f fill_mibps=%.1f read_s=%.2f read_mibps=%.1f gem_stats=%d gem_purged_fill=%ld gem_evicted_fill=%ld gem_swapin_fill=%ld gem_purged_read=%ld gem_evicted_read=%ld gem_swapin_read=%ld pswpout_fill=%ld pswpin_fill=%ld pswpout_read=%ld pswpin_read=%ld",
	    bo ? "bo" : "anon", how, phase_names[prog->phase], prog->stop,
	    chunk_mib, prog->kept, mib, prog->dontneed,
	    prog->dontneed * chunk_mib, prog->purged, prog->retained,
	    prog->retained_bad, prog->madvise_err,
	    prog->checked, prog->checked * chunk_mib, prog->bad,
	    prog->first_bad, prog->first_bad_offset,
	    fill_only ? "skipped" : ok ? "yes" : "no",
	    prog->t_filled - prog->t_fill, prog->host_s,
	    rate((prog->kept + prog->dontneed) * chunk_mib,
		 prog->t_filled - prog->t_fill),
	    prog->t_done ? prog->t_done - prog->t_read : 0,
	    prog->t_done ? rate(prog->checked * chunk_mib,
				prog->t_done - prog->t_read) : 0,
	    stats_path[0] != '\0',
	    prog->gem_filled.purged - prog->gem_start.purged,
	    prog->gem_filled.evicted - prog->gem_start.evicted,
	    prog->gem_filled.swapin - prog->gem_start.swapin,
	    prog->gem_done.purged - prog->gem_filled.purged,
	    prog->gem_done.evicted - prog->gem_filled.evicted,
	    prog->gem_done.swapin - prog->gem_filled.swapin,
	    prog->pswpout_filled - prog->pswpout_start,
	    prog->pswpin_filled - prog->pswpin_start,
	    prog->pswpout_done - prog->pswpout_filled,
	    prog->pswpin_done - prog->pswpin_filled);

	return ok ? 0 : 1;
}

# SPDX-License-Identifier: GPL-2.0
# Drives the project: lays the overlay onto the Debian linux-source-6.12 base
# outside the repository, builds, and tests. See README.md.
#
# BUILD_ROOT  where the base, the overlaid tree, build directories and ccache
#             live (default: ~/.cache/gem-shrinker)
# BASE_VERSION  the linux-source-6.12 package version (default in mk/lib.sh)

SHELL := /bin/bash
MK := $(CURDIR)/mk

.PHONY: help demo check selftest kunit bench guest-test lint compile-test \
	patches manifest tree clean

help:
	@sed -n 's/^## //p' $(firstword $(MAKEFILE_LIST))

## make demo          the main job: patched kernel in QEMU reclaiming GPU buffers
demo:
	@bash $(MK)/demo.sh

## make check         the whole test suite; ends with "N passed, N failed"
check:
	@bash $(MK)/check.sh

## make selftest      the harness's own tests on recorded logs (seconds)
selftest:
	@bash $(MK)/selftest.sh

## make kunit         DRM KUnit suites in QEMU: lockdep, KASAN, debug options
kunit:
	@bash $(MK)/kunit.sh

## make bench         opt-in KUnit benchmarks on a kernel without debugging
bench:
	@bash $(MK)/bench.sh

## make guest-test    userspace tests in a QEMU guest (virtio-gpu, vgem, zram)
guest-test:
	@bash $(MK)/guest.sh

## make lint          checkpatch, kernel-doc, sparse and W=1 on the diff
lint:
	@bash $(MK)/lint.sh

## make compile-test  every drm_gem_shmem user and msm, x86_64 and arm64
compile-test:
	@bash $(MK)/compile-test.sh

## make patches       the change as git format-patch files (PATCH_DIR)
patches:
	@bash $(MK)/patches.sh

## make manifest      record the base version of newly carried upstream files
manifest:
	@bash $(MK)/manifest.sh

## make tree          only lay the overlay onto the base (prints the tree)
tree:
	@bash $(MK)/tree.sh

## make clean         remove build directories (keeps the base and ccache)
clean:
	@bash $(MK)/clean.sh

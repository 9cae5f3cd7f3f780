/* SPDX-License-Identifier: MIT */
/*
 * libseccomp, loaded when the parent first compiles or names a filter. A
 * child never needs it (it gets the filter's instructions, not the
 * library), and every child of a program linked against it would load it
 * at exec: +18 system calls and a measurable share of its start (make
 * bench's child start). A program that links libseccomp itself (a static
 * build: pkg-config --static cfork) is served by its own copy through the
 * weak references below; any other opens the shared library on first use.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>

#include "sandbox.h"

#pragma weak seccomp_init
#pragma weak seccomp_release
#pragma weak seccomp_attr_set
#pragma weak seccomp_rule_add_array
#pragma weak seccomp_export_bpf
#pragma weak seccomp_syscall_resolve_name
#pragma weak seccomp_syscall_resolve_num_arch
#pragma weak seccomp_arch_native

#define LIBSECCOMP_SONAME "libseccomp.so.2"

static pthread_once_t libseccomp_once = PTHREAD_ONCE_INIT;
static struct libseccomp libseccomp_api;
static bool libseccomp_ok;

static void libseccomp_load(void)
{
	struct libseccomp *api = &libseccomp_api;

	if (seccomp_init) {
		*api = (struct libseccomp){
			seccomp_init, seccomp_release, seccomp_attr_set,
			seccomp_rule_add_array, seccomp_export_bpf,
			seccomp_syscall_resolve_name,
			seccomp_syscall_resolve_num_arch, seccomp_arch_native,
		};
		libseccomp_ok = true;
		return;
	}
	/* Never closed: the compiled filters' owner lives as long as the
	   process. */
	void *lib = dlopen(LIBSECCOMP_SONAME, RTLD_NOW | RTLD_LOCAL);
	libseccomp_ok = lib &&
		dl_symbol(lib, "seccomp_init", &api->init) &&
		dl_symbol(lib, "seccomp_release", &api->release) &&
		dl_symbol(lib, "seccomp_attr_set", &api->attr_set) &&
		dl_symbol(lib, "seccomp_rule_add_array", &api->rule_add_array) &&
		dl_symbol(lib, "seccomp_export_bpf", &api->export_bpf) &&
		dl_symbol(lib, "seccomp_syscall_resolve_name",
			    &api->resolve_name) &&
		dl_symbol(lib, "seccomp_syscall_resolve_num_arch",
			    &api->resolve_num_arch) &&
		dl_symbol(lib, "seccomp_arch_native", &api->arch_native);
}

const struct libseccomp *libseccomp(void)
{
	pthread_once(&libseccomp_once, libseccomp_load);
	return libseccomp_ok ? &libseccomp_api : NULL;
}

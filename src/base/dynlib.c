/*
 * dynlib.c - run-time loading of optional libraries (see dynlib.h).
 */
#include "base/dynlib.h"

#include <dlfcn.h>
#include <stdio.h>

int dynlib_load(void **handle, const char *soname,
		const struct dynlib_sym *syms, size_t n, char *err,
		size_t errlen)
{
	void *h;
	size_t i;

	if (*handle)
		return 0;
	if (!(h = dlopen(soname, RTLD_NOW | RTLD_LOCAL))) {
		if (err)
			snprintf(err, errlen, "cannot load %s: %s", soname,
				 dlerror());
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (!(*syms[i].slot = dlsym(h, syms[i].name))) {
			if (err)
				snprintf(err, errlen, "%s has no %s", soname,
					 syms[i].name);
			while (i > 0)
				*syms[--i].slot = NULL;
			dlclose(h);
			return -1;
		}
	}
	*handle = h;
	return 0;
}

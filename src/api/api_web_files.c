/*
 * api_web_files.c - the web console's files (src/api/web/), built into
 * pharosd with the assembler's .incbin: the build needs no generator and
 * the daemon no directory to find at run time, so the console a pharosd
 * serves is always the one it was built with. Each file is one row of
 * the table below; tests/e2e/t_web_headers.sh checks that every file of
 * src/api/web/ is served.
 */
#include "api/api_web.h"

/* WEB_BLOB(sym, "file"): sym_start .. sym_end hold the bytes of
 * src/api/web/file (the path is the compiler's working directory: the
 * top of the tree, where make runs). */
#define WEB_BLOB(sym, file)                                                  \
	__asm__(".pushsection .rodata\n"                                     \
		".balign 16\n"                                               \
		".globl pharos_web_" #sym "_start\n"                         \
		".hidden pharos_web_" #sym "_start\n"                        \
		"pharos_web_" #sym "_start:\n"                               \
		".incbin \"src/api/web/" file "\"\n"                         \
		".globl pharos_web_" #sym "_end\n"                           \
		".hidden pharos_web_" #sym "_end\n"                          \
		"pharos_web_" #sym "_end:\n"                                 \
		".popsection\n");                                            \
	extern const unsigned char pharos_web_##sym##_start[];               \
	extern const unsigned char pharos_web_##sym##_end[]

#define T_HTML "text/html; charset=utf-8"
#define T_CSS "text/css; charset=utf-8"
#define T_JS "text/javascript; charset=utf-8"
#define T_SVG "image/svg+xml"

WEB_BLOB(index, "index.html");
WEB_BLOB(css, "app.css");
WEB_BLOB(icon, "icon.svg");
WEB_BLOB(app, "app.js");
WEB_BLOB(lib, "lib.js");
WEB_BLOB(overview, "overview.js");
WEB_BLOB(routes, "routes.js");
WEB_BLOB(fabric, "fabric.js");
WEB_BLOB(map, "map.js");
WEB_BLOB(drills, "drills.js");
WEB_BLOB(events, "events.js");

#define ROW(p, t, sym)                                                       \
	{ p, t, pharos_web_##sym##_start, pharos_web_##sym##_end }

static const struct web_file files[] = {
	ROW("/", T_HTML, index),
	ROW("/ui/app.css", T_CSS, css),
	ROW("/ui/icon.svg", T_SVG, icon),
	ROW("/ui/app.js", T_JS, app),
	ROW("/ui/lib.js", T_JS, lib),
	ROW("/ui/overview.js", T_JS, overview),
	ROW("/ui/routes.js", T_JS, routes),
	ROW("/ui/fabric.js", T_JS, fabric),
	ROW("/ui/map.js", T_JS, map),
	ROW("/ui/drills.js", T_JS, drills),
	ROW("/ui/events.js", T_JS, events),
	{ NULL, NULL, NULL, NULL },
};

const struct web_file *web_files(void)
{
	return files;
}

/*
 * version.h - the version of pharos, shown by every binary, the API and
 * the pharos_build_info metric.
 */
#ifndef PHAROS_BASE_VERSION_H
#define PHAROS_BASE_VERSION_H

#define PHAROS_VERSION "0.1.0"

#endif

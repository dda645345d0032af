/*
 * version.h - the one place the version of pharos is written down. Every
 * program prints it for --version; pharosd reports it in the API and in
 * the pharos_build_info metric; the Makefile and the Debian changelog
 * read it from here.
 */
#ifndef PHAROS_BASE_VERSION_H
#define PHAROS_BASE_VERSION_H

#define PHAROS_VERSION "0.1.0"

#endif

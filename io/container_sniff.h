/* container_sniff.h: what container_sniff.c gives the container reader beyond container.h (private to io/). */
#ifndef KS_IO_CONTAINER_SNIFF_H
#define KS_IO_CONTAINER_SNIFF_H

#include <stddef.h>

#include "container.h"

/* 1 when the zip local header at q (30 bytes there, `room` bytes in all) looks like a zip writer's: its
 * signature, version, method and name, and the next header where its sizes say when they are in it. */
int ks__zip_local_header_right(const unsigned char *q, size_t room);

/* Where in h[from, starts) a container begins that more than its magic confirms (its header within h[0, n));
 * n when none. */
size_t ks__container_inside(const unsigned char *h, size_t n, size_t from, size_t starts);

/* Where the first zip local header that looks right and begins in p[from, KS_CONTAINER_LEAD_MAX) is; n when
 * there is none. */
size_t ks__container_lead_zip_at(const unsigned char *p, size_t n, size_t from);

/* What begins at a lead's end, given where its first zip local header is (n: none): a stream or tar at one of a
 * script's lines before it (*at: the line), else the zip (*at: zip_at), else KS_CONT_NONE. */
ks_container_kind ks__container_lead_kind(const unsigned char *h, size_t n, size_t zip_at, size_t *at);

#endif

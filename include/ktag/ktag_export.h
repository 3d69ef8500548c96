/*  ktag_export.h - symbol visibility: libktag hides everything but KTAG_EXPORT. */
#ifndef KTAG_EXPORT_H_INCLUDED
#define KTAG_EXPORT_H_INCLUDED

#if defined(KTAG_BUILDING_LIB) && defined(__GNUC__)
#define KTAG_EXPORT __attribute__((visibility("default")))
#else
#define KTAG_EXPORT
#endif

#endif

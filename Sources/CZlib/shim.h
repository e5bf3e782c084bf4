#ifndef HYPERGRID_CZLIB_SHIM_H
#define HYPERGRID_CZLIB_SHIM_H
/*
 * zlib, for reading gzip-compressed IDX files (Fashion-MNIST, MNIST) without
 * shelling out, and for the CRC-32 that guards the preprocessed-data cache.
 * zlib1g-dev provides the header and libz.
 */
#include <zlib.h>
#endif

#ifndef HYPERGRID_CZEROMQ_SHIM_H
#define HYPERGRID_CZEROMQ_SHIM_H
#include <zmq.h>
#endif

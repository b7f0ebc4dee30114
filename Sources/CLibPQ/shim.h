#ifndef MERCLIP_CLIBPQ_SHIM_H
#define MERCLIP_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif

#ifndef MERCLIP_CSNDFILE_SHIM_H
#define MERCLIP_CSNDFILE_SHIM_H
#include <sndfile.h>
#endif

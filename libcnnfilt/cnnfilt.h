/* cnnfilt.h: the umbrella header of libcnnfilt
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#define CNNFILT_INSIDE
#include "cnnfilt-area-op.h"
#include "cnnfilt-device.h"
#include "cnnfilt-embedder.h"
#include "cnnfilt-enum-types.h"
#include "cnnfilt-error.h"
#include "cnnfilt-features.h"
#include "cnnfilt-graph.h"
#include "cnnfilt-image.h"
#include "cnnfilt-index.h"
#include "cnnfilt-kernel.h"
#include "cnnfilt-mosaic.h"
#include "cnnfilt-npy.h"
#include "cnnfilt-onnx.h"
#include "cnnfilt-op.h"
#include "cnnfilt-parse.h"
#if CNNFILT_HAVE_PIXBUF
#include "cnnfilt-pixbuf.h"
#endif
#include "cnnfilt-preprocess.h"
#include "cnnfilt-registry.h"
#include "cnnfilt-tensor.h"
#include "cnnfilt-version.h"
#undef CNNFILT_INSIDE

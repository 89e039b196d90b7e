/* cnnfilt-device-private.h: how graphs pick an op's implementation for a device
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "cnnfilt-device.h"
#include "cnnfilt-op.h"
#include "cnnfilt-cl-private.h"

G_BEGIN_DECLS

typedef gboolean (*CnnfiltOpRunFunc) (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                                      CnnfiltTensor **inputs, guint n_inputs,
                                      CnnfiltTensor *output, GError **error);

/* The CPU device callers get when they give none (n-threads 0). */
CnnfiltDevice   *_cnnfilt_device_get_cpu      (void);
/* The context an op gets on @device (NULL: the CPU). */
void             _cnnfilt_device_init_context (CnnfiltDevice *device, CnnfiltRunContext *ctx);
/* Around every run of ops on the host: sets the floating-point mode that
 * #CnnfiltDevice:flush-denormals asks for on the calling thread and its
 * @ctx->n_threads OpenMP threads; end_run gives them their own back
 * (@began: what begin_run returned). */
gboolean         _cnnfilt_device_begin_run    (const CnnfiltRunContext *ctx);
void             _cnnfilt_device_end_run      (const CnnfiltRunContext *ctx, gboolean began);
/* The one dispatch point: the implementation of @op for @device, whether
 * it runs on @device (an op without an implementation for the device gets
 * its CPU run), and why, for traces. */
CnnfiltOpRunFunc _cnnfilt_device_pick_run     (CnnfiltDevice *device, CnnfiltOp *op,
                                               gboolean *on_device, const gchar **why);
/* Checks, before an op runs on @device (@on_device as pick_run said), that
 * each of its tensors fits one buffer of the device: an op's own limits
 * (the values one launch takes) are then never met first by a tensor that
 * the device could not hold anyway. */
gboolean         _cnnfilt_device_check_fits   (CnnfiltDevice *device, gboolean on_device,
                                               CnnfiltTensor **inputs, guint n_inputs,
                                               CnnfiltTensor *output, GError **error);
/* The OpenCL device of an OpenCL #CnnfiltDevice, else NULL. */
CnnfiltClDevice *_cnnfilt_device_get_cl       (CnnfiltDevice *device);

G_END_DECLS

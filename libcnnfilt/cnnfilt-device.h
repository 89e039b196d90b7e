/* cnnfilt-device.h: where ops run
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * CnnfiltDeviceKind:
 * @CNNFILT_DEVICE_KIND_CPU: the host processor
 * @CNNFILT_DEVICE_KIND_OPENCL: an OpenCL device (a GPU, or a CPU through an
 *   OpenCL runtime such as PoCL)
 *
 * The kinds of device ops run on.
 */
typedef enum {
  CNNFILT_DEVICE_KIND_CPU,
  CNNFILT_DEVICE_KIND_OPENCL,
} CnnfiltDeviceKind;

#define CNNFILT_TYPE_DEVICE (cnnfilt_device_get_type ())
G_DECLARE_FINAL_TYPE (CnnfiltDevice, cnnfilt_device, CNNFILT, DEVICE, GObject)

CnnfiltDevice     *cnnfilt_device_get_default     (GError **error);
guint              cnnfilt_get_n_cpus             (void);
CnnfiltDevice     *cnnfilt_device_new_from_string (const gchar *spec, GError **error);
gchar            **cnnfilt_device_list            (void);
GList             *cnnfilt_device_enumerate       (void);
CnnfiltDeviceKind  cnnfilt_device_get_kind        (CnnfiltDevice *device);
const gchar       *cnnfilt_device_get_name        (CnnfiltDevice *device);
const gchar       *cnnfilt_device_get_description (CnnfiltDevice *device);
void               cnnfilt_device_set_n_threads   (CnnfiltDevice *device, guint n_threads);
guint              cnnfilt_device_get_n_threads   (CnnfiltDevice *device);
void               cnnfilt_device_set_flush_denormals (CnnfiltDevice *device, gboolean flush);
gboolean           cnnfilt_device_get_flush_denormals (CnnfiltDevice *device);

G_END_DECLS

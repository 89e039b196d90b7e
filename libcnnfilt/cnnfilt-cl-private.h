/* cnnfilt-cl-private.h: the OpenCL devices, their programs and buffers
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cnnfilt-cl.c finds the OpenCL platforms through the ICD loader the first
 * time a device list or an OpenCL device is asked for, never before: a
 * program that only uses the CPU does not load any vendor driver. Each
 * device opens its context and queue on first use. cnnfilt-cl-program.c
 * builds programs once per device, cached in memory and on disk;
 * cnnfilt-kernel.c launches kernels for ops and moves tensors.
 */
#pragma once

#include <glib.h>

#include "cnnfilt-tensor.h"

#ifdef CNNFILT_HAVE_OPENCL
#define CL_TARGET_OPENCL_VERSION 120
#include <CL/cl.h>
#endif

G_BEGIN_DECLS

typedef struct _CnnfiltClDevice CnnfiltClDevice;

#ifdef CNNFILT_HAVE_OPENCL
struct _CnnfiltClDevice {
  guint platform_index, device_index;
  cl_platform_id platform;
  cl_device_id id;
  gchar *platform_name, *name, *vendor, *version, *driver;
  cl_device_type type;
  guint compute_units;
  guint64 global_memory, local_memory, max_alloc;
  gsize max_work_group;
  guint vector_width; /* CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT */

  GMutex lock; /* guards what follows, and kernel arguments while set */
  cl_context context;
  cl_command_queue queue;
  GHashTable *programs; /* key (hex) → cl_program */
  GHashTable *kernels;  /* "key/name" → cl_kernel */
  guint64 uploaded, downloaded; /* bytes copied to and from the device */
};

/* A GError from an OpenCL status: "WHAT failed on DEVICE: CL_NAME". */
void         _cnnfilt_cl_set_error (GError **error, const CnnfiltClDevice *device, const gchar *what,
                                    cl_int status);
const gchar *_cnnfilt_cl_status_name (cl_int status);
#endif

/* The OpenCL devices found, in platform and device order; loaded once, and
 * empty (not NULL) where there is no platform or no OpenCL in the build. */
GPtrArray  *_cnnfilt_cl_devices (void);
/* What "opencl" means: the first GPU, else the first device; NULL if none. */
CnnfiltClDevice *_cnnfilt_cl_default_device (void);
/* Opens @device's context and queue, once. */
gboolean    _cnnfilt_cl_open (CnnfiltClDevice *device, GError **error);
/* whether this build has OpenCL */
gboolean    _cnnfilt_cl_built (void);
/* "opencl:P:D" */
gchar      *_cnnfilt_cl_spec (const CnnfiltClDevice *device);
/* "NAME (PLATFORM, TYPE, N compute units, …)" */
gchar      *_cnnfilt_cl_describe (const CnnfiltClDevice *device);
const gchar *_cnnfilt_cl_type_name (const CnnfiltClDevice *device);

/* cnnfilt-cl-program.c: the program of @source built with @options for
 * @device (opened), from memory, from the disk cache, or compiled; and the
 * kernel @name of it. The caller holds device->lock. */
gpointer    _cnnfilt_cl_kernel (CnnfiltClDevice *device, const gchar *source, const gchar *options,
                                const gchar *name, GError **error);

/* Tensors (cnnfilt-kernel.c): copies the device values of @tensor to its
 * host buffer, and drops its device buffer. */
void        _cnnfilt_cl_tensor_download (CnnfiltTensor *tensor);
/* Waits until no copy to the device reads the host buffer any more: before
 * the host writes it or frees it. */
void        _cnnfilt_cl_tensor_wait     (CnnfiltTensor *tensor);
void        _cnnfilt_cl_tensor_release  (CnnfiltTensor *tensor);
/* Whether @tensor fits one buffer of @device; a %CNNFILT_ERROR_DEVICE
 * error naming its shape and the device's limit otherwise. */
gboolean    _cnnfilt_cl_tensor_fits     (CnnfiltClDevice *device, CnnfiltTensor *tensor,
                                         GError **error);

G_END_DECLS

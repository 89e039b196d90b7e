/* cnnfilt-tensor-private.h: what the library's own files share about tensors
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

/* The machine's memory in bytes: the most one tensor, or one graph's
 * buffers, may ask for. */
G_GNUC_INTERNAL
gsize _cnnfilt_physical_memory (void);

/* Memory for *@bytes, aligned to 64 bytes, or from 4 MiB on to 2 MiB (a
 * huge page, where the kernel gives them unasked); *@bytes is rounded up
 * to what was reserved. Released with free(); NULL when it cannot be had. */
G_GNUC_INTERNAL
gpointer _cnnfilt_alloc_large (gsize *bytes);

/* Marks @tensor's buffer, where it is large, for transparent huge pages
 * (MADV_HUGEPAGE): a graph's activation buffers, which every run reads
 * and writes across their whole extent, run about 3 % faster so at batch
 * 8 (EfficientNet-B0, RegNetY-800MF, ResNet-50; MobileNetV3-large within
 * noise; interleaved in one process). Weights are not marked
 * (_cnnfilt_alloc_large). */
G_GNUC_INTERNAL
void _cnnfilt_tensor_advise_huge_pages (CnnfiltTensor *tensor);

/* Where a tensor's values are current: only on the host, on the host and a
 * device (both equal), or only on a device. Host accessors bring the values
 * back from the device first; cnnfilt_tensor_get_data() and
 * cnnfilt_tensor_get_plane(), which may be written through, leave the host
 * copy the only current one. */
typedef enum {
  CNNFILT_TENSOR_SYNC_HOST,
  CNNFILT_TENSOR_SYNC_BOTH,
  CNNFILT_TENSOR_SYNC_DEVICE,
} CnnfiltTensorSync;

/* A tensor's device buffer: an OpenCL cl_mem of @bytes on @device (a
 * CnnfiltClDevice), or none. */
typedef struct {
  gpointer mem;
  gsize bytes;
  gpointer device;
  CnnfiltTensorSync sync;
  gpointer pending; /* a cl_event: a copy to the device still reading the host buffer */
} CnnfiltTensorDevice;

typedef struct _CnnfiltTensor CnnfiltTensor;

G_GNUC_INTERNAL
CnnfiltTensorDevice *_cnnfilt_tensor_device (CnnfiltTensor *tensor);
/* Counts an op's tensor property taking (@change 1) or letting go (-1) of
 * @tensor, which may be NULL; @graph_made: the op is one a graph made for
 * its own runs (_cnnfilt_op_set_graph_made). cnnfilt_tensor_release_values()
 * releases only tensors that ops alone hold, at most one of them not made
 * by a graph. */
G_GNUC_INTERNAL
void _cnnfilt_tensor_op_hold (CnnfiltTensor *tensor, gint change, gboolean graph_made);
/* Counts a hold already counted by _cnnfilt_tensor_op_hold() as a graph's. */
G_GNUC_INTERNAL
void _cnnfilt_tensor_graph_hold (CnnfiltTensor *tensor);
/* The host buffer, its values brought back where they were released. */
G_GNUC_INTERNAL
gfloat *_cnnfilt_tensor_host (CnnfiltTensor *tensor);

/* Gives @tensor @shape, of as many values as it holds, keeping the values
 * where they are current (host, device or both): a graph's reshape that
 * takes over its input's buffer. */
G_GNUC_INTERNAL
void _cnnfilt_tensor_reshape_values (CnnfiltTensor *tensor, const CnnfiltShape *shape);

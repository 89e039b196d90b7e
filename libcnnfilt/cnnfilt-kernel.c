/* cnnfilt-kernel.c: OpenCL kernels for ops, and tensors on the device
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A tensor's device buffer is made when a kernel first takes it, kept
 * while its capacity suffices, and holds the current values after a kernel
 * wrote them (CnnfiltTensorSync): a chain of ops with kernels moves no
 * data, and the host asks for the values back only where it reads them.
 * Everything a device does (buffers, arguments, launches, transfers) runs
 * under its lock, so that batch workers may share one device.
 */
#include "cnnfilt-kernel.h"
#include "cnnfilt-cl-private.h"
#include "cnnfilt-device-private.h"
#include "cnnfilt-error.h"
#include "cnnfilt-tensor-private.h"

#include <gio/gio.h>
#include <string.h>

static CnnfiltClDevice *
ctx_device (const CnnfiltRunContext *ctx)
{
  return ctx != NULL && ctx->device != NULL ? _cnnfilt_device_get_cl (ctx->device) : NULL;
}

/**
 * cnnfilt_kernel_source_from_resource: (skip)
 * @path: a GResource path (`/org/cnnfilt/classic/filter.cl`)
 * @error: return location for a #GError
 *
 * The text of a kernel source embedded in a plugin as a GResource, read
 * once and kept for the life of the process.
 *
 * Returns: (transfer none): the source, or %NULL with @error set
 */
const gchar *
cnnfilt_kernel_source_from_resource (const gchar *path, GError **error)
{
  static GMutex lock;
  static GHashTable *sources = NULL;
  g_mutex_lock (&lock);
  if (sources == NULL)
    sources = g_hash_table_new (g_str_hash, g_str_equal);
  const gchar *source = g_hash_table_lookup (sources, path);
  if (source == NULL)
    {
      g_autoptr (GBytes) bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
      if (bytes != NULL)
        {
          gsize size = 0;
          const gchar *data = g_bytes_get_data (bytes, &size);
          gchar *copy = g_strndup (data, size);
          g_hash_table_insert (sources, g_strdup (path), copy);
          source = copy;
        }
    }
  g_mutex_unlock (&lock);
  return source;
}

/* The kernels of cnnfilt_kernel_copy(). */
static const gchar copy_source[] =
    "__kernel void copy_region (__global const float *src, __global float *dst, int c, int h,\n"
    "    int w, int src_c_total, int src_h, int src_w, int src_n, int src_c, int src_c_step,\n"
    "    int src_y, int src_x, int dst_c_total, int dst_h, int dst_w, int dst_n, int dst_c,\n"
    "    int dst_y, int dst_x)\n"
    "{\n"
    "  const int x = get_global_id (0), y = get_global_id (1), p = get_global_id (2);\n"
    "  if (x >= w || y >= h)\n"
    "    return;\n"
    "  const int n = p / c, k = p % c;\n"
    "  const size_t from = (((size_t) (src_n + n) * src_c_total + src_c + k * src_c_step) * src_h\n"
    "                       + src_y + y) * src_w + src_x + x;\n"
    "  const size_t to = (((size_t) (dst_n + n) * dst_c_total + dst_c + k) * dst_h + dst_y + y)\n"
    "                    * dst_w + dst_x + x;\n"
    "  dst[to] = src[from];\n"
    "}\n"
    "__kernel void copy_all (__global const float *src, __global float *dst, int count)\n"
    "{\n"
    "  const int i = get_global_id (0);\n"
    "  if (i < count)\n"
    "    dst[i] = src[i];\n"
    "}\n";

/**
 * cnnfilt_kernel_copy: (skip)
 * @op: the op that copies, for error messages
 * @ctx: its run context, on an OpenCL device
 * @src: the tensor read
 * @dst: the tensor written; outside the region its values are unspecified
 *   unless they were current on the device
 * @region: what is copied where
 * @error: return location for a #GError
 *
 * Copies a block of @src into @dst on the device. Both are NCHW.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
cnnfilt_kernel_copy (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor *src,
                     CnnfiltTensor *dst, const CnnfiltKernelRegion *r, GError **error)
{
  CnnfiltShape s, d;
  cnnfilt_tensor_get_shape (src, &s);
  cnnfilt_tensor_get_shape (dst, &d);
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (src), CNNFILT_KERNEL_OUT (dst), CNNFILT_KERNEL_INT (r->c),
    CNNFILT_KERNEL_INT (r->h), CNNFILT_KERNEL_INT (r->w), CNNFILT_KERNEL_INT (s.c),
    CNNFILT_KERNEL_INT (s.h), CNNFILT_KERNEL_INT (s.w), CNNFILT_KERNEL_INT (r->src_n),
    CNNFILT_KERNEL_INT (r->src_c),
    CNNFILT_KERNEL_INT (r->src_c_step), CNNFILT_KERNEL_INT (r->src_y),
    CNNFILT_KERNEL_INT (r->src_x), CNNFILT_KERNEL_INT (d.c), CNNFILT_KERNEL_INT (d.h),
    CNNFILT_KERNEL_INT (d.w), CNNFILT_KERNEL_INT (r->dst_n), CNNFILT_KERNEL_INT (r->dst_c),
    CNNFILT_KERNEL_INT (r->dst_y),
    CNNFILT_KERNEL_INT (r->dst_x),
  };
  CnnfiltKernelLaunch launch = { copy_source, NULL, "copy_region", 3,
                                 { r->w, r->h, (gsize) r->n * r->c } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

/**
 * cnnfilt_kernel_copy_all: (skip)
 * @op: the op that copies, for error messages
 * @ctx: its run context, on an OpenCL device
 * @src: the tensor read
 * @dst: the tensor written, of as many values (its shape may differ)
 * @error: return location for a #GError
 *
 * Copies every value of @src to @dst on the device, in order: flatten,
 * reshape, identity.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
cnnfilt_kernel_copy_all (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor *src,
                         CnnfiltTensor *dst, GError **error)
{
  gsize count = MIN (cnnfilt_tensor_get_size (src), cnnfilt_tensor_get_size (dst));
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (src), CNNFILT_KERNEL_OUT (dst), CNNFILT_KERNEL_INT (count),
  };
  CnnfiltKernelLaunch launch = { copy_source, NULL, "copy_all", 1, { count } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

/**
 * cnnfilt_kernel_get_max_work_group: (skip)
 * @ctx: the run context of an OpenCL device
 *
 * Returns: the most work-items a work-group may have on the device; 1 for
 *   a device that is not OpenCL
 */
gsize
cnnfilt_kernel_get_max_work_group (const CnnfiltRunContext *ctx)
{
#ifdef CNNFILT_HAVE_OPENCL
  CnnfiltClDevice *device = ctx_device (ctx);
  return device != NULL ? device->max_work_group : 1;
#else
  return 1;
#endif
}

/**
 * cnnfilt_kernel_get_vector_width: (skip)
 * @ctx: the run context of an OpenCL device
 *
 * Returns: the device's preferred float vector width
 *   (`CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT`); 1 for a device that is not
 *   OpenCL
 */
guint
cnnfilt_kernel_get_vector_width (const CnnfiltRunContext *ctx)
{
#ifdef CNNFILT_HAVE_OPENCL
  CnnfiltClDevice *device = ctx_device (ctx);
  return device != NULL ? device->vector_width : 1;
#else
  return 1;
#endif
}

/**
 * cnnfilt_kernel_get_compute_units: (skip)
 * @ctx: the run context of an OpenCL device
 *
 * Returns: the device's compute units; 1 for a device that is not OpenCL
 */
guint
cnnfilt_kernel_get_compute_units (const CnnfiltRunContext *ctx)
{
#ifdef CNNFILT_HAVE_OPENCL
  CnnfiltClDevice *device = ctx_device (ctx);
  return device != NULL ? MAX (device->compute_units, 1) : 1;
#else
  return 1;
#endif
}

#ifdef CNNFILT_HAVE_OPENCL

static gsize
tensor_bytes (CnnfiltTensor *tensor)
{
  return MAX (cnnfilt_tensor_get_size (tensor), 1) * sizeof (gfloat);
}

/* Copies the device values back; the caller holds the device's lock. */
static void
download_locked (CnnfiltClDevice *device, CnnfiltTensor *tensor)
{
  CnnfiltTensorDevice *copy = _cnnfilt_tensor_device (tensor);
  if (copy->sync != CNNFILT_TENSOR_SYNC_DEVICE)
    return;
  cl_int status = clEnqueueReadBuffer (device->queue, copy->mem, CL_TRUE, 0, tensor_bytes (tensor),
                                       _cnnfilt_tensor_host (tensor), 0, NULL, NULL);
  if (status != CL_SUCCESS)
    /* A lost device: its values are gone, and nothing can report it here. */
    g_critical ("reading a tensor back from %s failed: %s; its values are lost", device->name,
                _cnnfilt_cl_status_name (status));
  device->downloaded += tensor_bytes (tensor);
  copy->sync = CNNFILT_TENSOR_SYNC_BOTH;
}

void
_cnnfilt_cl_tensor_wait (CnnfiltTensor *tensor)
{
  CnnfiltTensorDevice *copy = _cnnfilt_tensor_device (tensor);
  cl_event pending = copy->pending;
  if (pending == NULL)
    return;
  copy->pending = NULL;
  clWaitForEvents (1, &pending);
  clReleaseEvent (pending);
}

/* The values back from the device, the lock held only to enqueue the read,
 * so that other threads' work on the device goes on meanwhile. */
void
_cnnfilt_cl_tensor_download (CnnfiltTensor *tensor)
{
  CnnfiltTensorDevice *copy = _cnnfilt_tensor_device (tensor);
  CnnfiltClDevice *device = copy->device;
  cl_event done = NULL;
  g_mutex_lock (&device->lock);
  cl_int status = CL_SUCCESS;
  if (copy->sync == CNNFILT_TENSOR_SYNC_DEVICE)
    {
      status = clEnqueueReadBuffer (device->queue, copy->mem, CL_FALSE, 0, tensor_bytes (tensor),
                                    _cnnfilt_tensor_host (tensor), 0, NULL, &done);
      device->downloaded += tensor_bytes (tensor);
      copy->sync = CNNFILT_TENSOR_SYNC_BOTH;
    }
  g_mutex_unlock (&device->lock);
  if (status == CL_SUCCESS && done != NULL)
    status = clWaitForEvents (1, &done);
  if (done != NULL)
    clReleaseEvent (done);
  if (status != CL_SUCCESS)
    /* A lost device: its values are gone, and nothing can report it here. */
    g_critical ("reading a tensor back from %s failed: %s; its values are lost", device->name,
                _cnnfilt_cl_status_name (status));
}

static void
release_locked (CnnfiltTensor *tensor)
{
  CnnfiltTensorDevice *copy = _cnnfilt_tensor_device (tensor);
  _cnnfilt_cl_tensor_wait (tensor);
  if (copy->mem != NULL)
    clReleaseMemObject (copy->mem);
  copy->mem = NULL;
  copy->bytes = 0;
  copy->device = NULL;
  copy->sync = CNNFILT_TENSOR_SYNC_HOST;
}

void
_cnnfilt_cl_tensor_release (CnnfiltTensor *tensor)
{
  CnnfiltClDevice *device = _cnnfilt_tensor_device (tensor)->device;
  if (device == NULL)
    return;
  g_mutex_lock (&device->lock);
  release_locked (tensor);
  g_mutex_unlock (&device->lock);
}

gboolean
_cnnfilt_cl_tensor_fits (CnnfiltClDevice *device, CnnfiltTensor *tensor, GError **error)
{
  gsize bytes = tensor_bytes (tensor);
  if (bytes <= device->max_alloc)
    return TRUE;
  CnnfiltShape s;
  cnnfilt_tensor_get_shape (tensor, &s);
  g_autofree gchar *shape = cnnfilt_shape_to_string (&s);
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_DEVICE,
               "a tensor of shape %s needs %" G_GSIZE_FORMAT " MiB, more than the %"
               G_GUINT64_FORMAT " MiB one buffer may hold on %s (opencl:%u:%u)",
               shape, bytes >> 20, device->max_alloc >> 20, device->name,
               device->platform_index, device->device_index);
  return FALSE;
}

/* A device buffer of @tensor on @device large enough for its shape; the
 * values come along where @upload and the host holds the only current
 * copy. The caller holds @device's lock. */
static gboolean
tensor_on_device (CnnfiltClDevice *device, CnnfiltTensor *tensor, gboolean upload,
                  GError **error)
{
  CnnfiltTensorDevice *copy = _cnnfilt_tensor_device (tensor);
  if (copy->device != NULL && copy->device != device)
    {
      /* last used on another device: bring it home first */
      CnnfiltClDevice *other = copy->device;
      g_mutex_unlock (&device->lock);
      _cnnfilt_cl_tensor_download (tensor);
      _cnnfilt_cl_tensor_release (tensor);
      g_mutex_lock (&device->lock);
      (void) other;
    }
  gsize bytes = tensor_bytes (tensor);
  if (copy->mem != NULL && copy->bytes < bytes)
    {
      download_locked (device, tensor);
      release_locked (tensor);
    }
  if (copy->mem == NULL)
    {
      if (!_cnnfilt_cl_tensor_fits (device, tensor, error))
        return FALSE;
      cl_int status = CL_SUCCESS;
      copy->mem = clCreateBuffer (device->context, CL_MEM_READ_WRITE, bytes, NULL, &status);
      if (status != CL_SUCCESS)
        {
          copy->mem = NULL;
          _cnnfilt_cl_set_error (error, device, "allocating a device buffer", status);
          return FALSE;
        }
      copy->bytes = bytes;
      copy->device = device;
      copy->sync = CNNFILT_TENSOR_SYNC_HOST;
    }
  if (upload && copy->sync == CNNFILT_TENSOR_SYNC_HOST)
    {
      /* Not blocking: the host buffer is read while the device works; a
       * host write or free of it waits for the copy (copy->pending). */
      _cnnfilt_cl_tensor_wait (tensor);
      cl_event done = NULL;
      cl_int status = clEnqueueWriteBuffer (device->queue, copy->mem, CL_FALSE, 0, bytes,
                                            _cnnfilt_tensor_host (tensor), 0, NULL, &done);
      copy->pending = done;
      if (status != CL_SUCCESS)
        {
          _cnnfilt_cl_set_error (error, device, "copying a tensor to the device", status);
          return FALSE;
        }
      device->uploaded += bytes;
      copy->sync = CNNFILT_TENSOR_SYNC_BOTH;
    }
  return TRUE;
}

static gboolean
set_args (CnnfiltClDevice *device, cl_kernel kernel, const CnnfiltKernelArg *args, guint n_args,
          GError **error)
{
  for (guint i = 0; i < n_args; i++)
    {
      const CnnfiltKernelArg *a = &args[i];
      cl_int status = CL_SUCCESS;
      switch (a->type)
        {
        case CNNFILT_KERNEL_ARG_INPUT:
        case CNNFILT_KERNEL_ARG_OUTPUT:
          if (!tensor_on_device (device, a->tensor, a->type == CNNFILT_KERNEL_ARG_INPUT, error))
            return FALSE;
          status = clSetKernelArg (kernel, i, sizeof (cl_mem),
                                   &_cnnfilt_tensor_device (a->tensor)->mem);
          break;
        case CNNFILT_KERNEL_ARG_INT:
          {
            cl_int v = a->int_value;
            status = clSetKernelArg (kernel, i, sizeof v, &v);
            break;
          }
        case CNNFILT_KERNEL_ARG_FLOAT:
          {
            cl_float v = a->float_value;
            status = clSetKernelArg (kernel, i, sizeof v, &v);
            break;
          }
        case CNNFILT_KERNEL_ARG_LOCAL:
          status = clSetKernelArg (kernel, i, a->bytes, NULL);
          break;
        }
      if (status != CL_SUCCESS)
        {
          g_autofree gchar *what = g_strdup_printf ("setting argument %u", i);
          _cnnfilt_cl_set_error (error, device, what, status);
          return FALSE;
        }
    }
  return TRUE;
}

/* Work-items per group along the first dimension where the kernel leaves
 * it to us: a power of two up to GROUP_SIZE, within what the device and
 * the kernel allow and what the work needs. Left to themselves, runtimes
 * may pick groups of one work-item, whose overhead (PoCL: a few hundred ns
 * each) costs more than a filter's work. */
#define GROUP_SIZE 64
static gsize
default_group (CnnfiltClDevice *device, cl_kernel kernel, gsize work)
{
  gsize most = device->max_work_group;
  gsize kernel_most = 0;
  if (clGetKernelWorkGroupInfo (kernel, device->id, CL_KERNEL_WORK_GROUP_SIZE, sizeof kernel_most,
                                &kernel_most, NULL) == CL_SUCCESS && kernel_most > 0)
    most = MIN (most, kernel_most);
  gsize group = 1;
  while (group * 2 <= MIN (MIN (most, GROUP_SIZE), MAX (work, 1)))
    group *= 2;
  return group;
}

static gboolean
launch_locked (CnnfiltClDevice *device, const CnnfiltKernelLaunch *launch,
               const CnnfiltKernelArg *args, guint n_args, GError **error)
{
  cl_kernel kernel = _cnnfilt_cl_kernel (device, launch->source, launch->options, launch->name,
                                         error);
  if (kernel == NULL || !set_args (device, kernel, args, n_args, error))
    return FALSE;
  gsize global[3], local[3];
  for (guint d = 0; d < launch->work_dim; d++)
    local[d] = launch->local[0] != 0 ? MAX (launch->local[d], 1) : 1;
  if (launch->local[0] == 0)
    local[0] = default_group (device, kernel, launch->global[0]);
  for (guint d = 0; d < launch->work_dim; d++)
    global[d] = (MAX (launch->global[d], 1) + local[d] - 1) / local[d] * local[d];
  cl_int status = clEnqueueNDRangeKernel (device->queue, kernel, launch->work_dim, NULL, global,
                                          local, 0, NULL, NULL);
  if (status != CL_SUCCESS)
    {
      g_autofree gchar *what = g_strdup_printf ("running kernel %s", launch->name);
      _cnnfilt_cl_set_error (error, device, what, status);
      return FALSE;
    }
  for (guint i = 0; i < n_args; i++)
    if (args[i].type == CNNFILT_KERNEL_ARG_OUTPUT)
      _cnnfilt_tensor_device (args[i].tensor)->sync = CNNFILT_TENSOR_SYNC_DEVICE;
  return TRUE;
}

#else

void
_cnnfilt_cl_tensor_download (CnnfiltTensor *tensor)
{
}

void
_cnnfilt_cl_tensor_wait (CnnfiltTensor *tensor)
{
}

void
_cnnfilt_cl_tensor_release (CnnfiltTensor *tensor)
{
}

#endif

/**
 * cnnfilt_kernel_run: (skip)
 * @op: the op that runs the kernel, for error messages
 * @ctx: its run context, on an OpenCL device
 * @launch: the kernel and its sizes
 * @args: (array length=n_args): its arguments, in order
 * @n_args: how many
 * @error: return location for a #GError
 *
 * Runs one OpenCL kernel for an op's #CnnfiltOpClass.run_cl: builds the
 * program once per device (cached in memory and on disk), moves the input
 * tensors to the device where their values are not current there, and
 * enqueues the kernel. The outputs' values stay on the device until a host
 * accessor reads them. Launches on one device run in order.
 *
 * Returns: %TRUE, or %FALSE with a %CNNFILT_ERROR_DEVICE error naming the
 *   kernel and the device (a failed compile carries the build log); graphs
 *   prefix the node's name
 */
gboolean
cnnfilt_kernel_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                    const CnnfiltKernelLaunch *launch, const CnnfiltKernelArg *args,
                    guint n_args, GError **error)
{
  g_return_val_if_fail (launch != NULL && launch->work_dim >= 1 && launch->work_dim <= 3, FALSE);
#ifdef CNNFILT_HAVE_OPENCL
  CnnfiltClDevice *device = ctx_device (ctx);
  if (device == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_DEVICE,
                   "%s: kernel %s needs an OpenCL device", cnnfilt_op_get_name (op), launch->name);
      return FALSE;
    }
  if (!_cnnfilt_cl_open (device, error))
    return FALSE;
  g_mutex_lock (&device->lock);
  gboolean ok = launch_locked (device, launch, args, n_args, error);
  g_mutex_unlock (&device->lock);
  if (!ok)
    g_prefix_error (error, "kernel %s: ", launch->name);
  return ok;
#else
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
               "%s: this build of libcnnfilt has no OpenCL", cnnfilt_op_get_name (op));
  return FALSE;
#endif
}

/* cnnfilt-tensor.c: float32 NCHW tensors
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-tensor.h"
#include "cnnfilt-error.h"
#include "cnnfilt-tensor-private.h"
#include "cnnfilt-cl-private.h"

#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/mman.h>

/* Host buffers are aligned for AVX-512 loads and sized to whole cache lines. */
#define TENSOR_ALIGN 64
#define HUGE_PAGE ((gsize) 2 << 20)

/**
 * CnnfiltTensor:
 *
 * A four-dimensional float32 tensor in NCHW order: images are `1 × channels
 * × height × width`, with values in [0, 1] when they come from
 * cnnfilt_image_load().
 *
 * A tensor owns a host buffer aligned to 64 bytes. Its shape can be changed
 * with cnnfilt_tensor_set_shape(), which keeps the buffer when it is large
 * enough: graphs and batch loops reuse one tensor for many images.
 */
struct _CnnfiltTensor {
  GObject parent_instance;
  CnnfiltShape shape;
  gfloat *data;
  gsize capacity; /* in values */
  CnnfiltLayout layout;
  CnnfiltTensorDevice device; /* a copy on an OpenCL device, or none */
  gboolean borrowed;          /* data is the caller's (new_wrapping): never freed here */
  /* values released (cnnfilt_tensor_release_values): data is NULL until
   * restore writes them back */
  CnnfiltTensorRestoreFunc restore;
  gpointer restore_data;
  GDestroyNotify restore_notify;
  gint op_holds;    /* how many of the references are ops' tensor properties */
  gint graph_holds; /* of those, ops a graph made for its own runs (fused) */
};

/* Guards bringing released values back, which any reader may do;
 * recursive, since a restore may read another released tensor (weights
 * computed from others: a batchnorm folded in). */
static GRecMutex restore_lock;

G_DEFINE_TYPE (CnnfiltTensor, cnnfilt_tensor, G_TYPE_OBJECT)

CnnfiltTensorDevice *
_cnnfilt_tensor_device (CnnfiltTensor *tensor)
{
  return &tensor->device;
}

static void
restore_clear (CnnfiltTensor *tensor)
{
  GDestroyNotify notify = tensor->restore_notify;
  gpointer data = tensor->restore_data;
  tensor->restore_notify = NULL;
  tensor->restore_data = NULL;
  g_atomic_pointer_set (&tensor->restore, NULL);
  if (notify != NULL)
    notify (data);
}

/* Released values brought back: memory allocated again, and the restore
 * function of cnnfilt_tensor_release_values() writing them into it. */
static void
host_restore (CnnfiltTensor *tensor)
{
  if (G_LIKELY (g_atomic_pointer_get (&tensor->restore) == NULL))
    return;
  g_rec_mutex_lock (&restore_lock);
  if (tensor->restore != NULL)
    {
      gsize bytes = tensor->capacity * sizeof (gfloat);
      gfloat *data = _cnnfilt_alloc_large (&bytes);
      if (data == NULL)
        g_error ("out of memory bringing back the %" G_GSIZE_FORMAT " MiB of a tensor's values",
                 bytes >> 20);
      tensor->restore (tensor, data, tensor->restore_data);
      tensor->data = data;
      restore_clear (tensor);
    }
  g_rec_mutex_unlock (&restore_lock);
}

void
_cnnfilt_tensor_op_hold (CnnfiltTensor *tensor, gint change, gboolean graph_made)
{
  if (tensor == NULL)
    return;
  g_atomic_int_add (&tensor->op_holds, change);
  if (graph_made)
    g_atomic_int_add (&tensor->graph_holds, change);
}

void
_cnnfilt_tensor_graph_hold (CnnfiltTensor *tensor)
{
  if (tensor != NULL)
    g_atomic_int_inc (&tensor->graph_holds);
}

gfloat *
_cnnfilt_tensor_host (CnnfiltTensor *tensor)
{
  host_restore (tensor);
  return tensor->data;
}

void
_cnnfilt_tensor_reshape_values (CnnfiltTensor *tensor, const CnnfiltShape *shape)
{
  g_return_if_fail (cnnfilt_shape_get_size (shape) == cnnfilt_shape_get_size (&tensor->shape));
  host_restore (tensor);
  tensor->shape = *shape;
}

/* The host values, current: brought back where they were released, or read
 * back from the device where it holds the only current copy. */
static gfloat *
host_read (CnnfiltTensor *tensor)
{
  host_restore (tensor);
  if (tensor->device.sync == CNNFILT_TENSOR_SYNC_DEVICE)
    _cnnfilt_cl_tensor_download (tensor);
  return tensor->data;
}

/* The host values, current, for writing: the device copy is stale after. */
static gfloat *
host_write (CnnfiltTensor *tensor)
{
  host_read (tensor);
  if (tensor->device.pending != NULL)
    _cnnfilt_cl_tensor_wait (tensor);
  tensor->device.sync = CNNFILT_TENSOR_SYNC_HOST;
  return tensor->data;
}

G_DEFINE_BOXED_TYPE (CnnfiltShape, cnnfilt_shape, cnnfilt_shape_copy, cnnfilt_shape_free)

/**
 * cnnfilt_shape_new:
 * @n: batch size
 * @c: channels
 * @h: height
 * @w: width
 *
 * Returns: (transfer full): a new shape
 */
CnnfiltShape *
cnnfilt_shape_new (guint n, guint c, guint h, guint w)
{
  CnnfiltShape *shape = g_new (CnnfiltShape, 1);
  *shape = (CnnfiltShape) { n, c, h, w };
  return shape;
}

/**
 * cnnfilt_shape_copy:
 * @shape: a shape
 *
 * Returns: (transfer full): a copy of @shape
 */
CnnfiltShape *
cnnfilt_shape_copy (const CnnfiltShape *shape)
{
  return g_memdup2 (shape, sizeof *shape);
}

/**
 * cnnfilt_shape_free:
 * @shape: a shape from cnnfilt_shape_new() or cnnfilt_shape_copy()
 */
void
cnnfilt_shape_free (CnnfiltShape *shape)
{
  g_free (shape);
}

/**
 * cnnfilt_shape_equal:
 * @a: a shape
 * @b: another shape
 *
 * Returns: whether all four dimensions are equal
 */
gboolean
cnnfilt_shape_equal (const CnnfiltShape *a, const CnnfiltShape *b)
{
  return a->n == b->n && a->c == b->c && a->h == b->h && a->w == b->w;
}

/* The number of values, or 0 when the product does not fit in a gsize. */
static gsize
shape_size_checked (const CnnfiltShape *shape)
{
  gsize size = shape->n;
  if (!g_size_checked_mul (&size, size, shape->c) ||
      !g_size_checked_mul (&size, size, shape->h) ||
      !g_size_checked_mul (&size, size, shape->w) ||
      size > G_MAXSIZE / sizeof (gfloat) / 2)
    return 0;
  return size;
}

/**
 * cnnfilt_shape_get_size:
 * @shape: a shape
 *
 * Returns: the number of values `n·c·h·w`, or 0 if that overflows
 */
gsize
cnnfilt_shape_get_size (const CnnfiltShape *shape)
{
  return shape_size_checked (shape);
}

/**
 * cnnfilt_shape_to_string:
 * @shape: a shape
 *
 * Returns: (transfer full): the shape as `1x3x224x224`
 */
gchar *
cnnfilt_shape_to_string (const CnnfiltShape *shape)
{
  return g_strdup_printf ("%ux%ux%ux%u", shape->n, shape->c, shape->h, shape->w);
}

static void
cnnfilt_tensor_finalize (GObject *object)
{
  CnnfiltTensor *self = CNNFILT_TENSOR (object);
  _cnnfilt_cl_tensor_release (self);
  restore_clear (self);
  if (!self->borrowed)
    free (self->data);
  G_OBJECT_CLASS (cnnfilt_tensor_parent_class)->finalize (object);
}

static void
cnnfilt_tensor_class_init (CnnfiltTensorClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_tensor_finalize;
}

static void
cnnfilt_tensor_init (CnnfiltTensor *self)
{
}

/* Grows the buffer when needed; the values are unspecified afterwards. */
/* The machine's memory in bytes: no tensor may ask for more, so an absurd
 * shape fails here instead of being granted on paper by overcommit and
 * killing the process when it is written. */
gsize
_cnnfilt_physical_memory (void)
{
  static gsize bytes = 0;
  if (g_once_init_enter (&bytes))
    {
      long pages = sysconf (_SC_PHYS_PAGES), page = sysconf (_SC_PAGESIZE);
      gsize total = pages > 0 && page > 0 ? (gsize) pages * (gsize) page : G_MAXSIZE;
      g_once_init_leave (&bytes, total);
    }
  return bytes;
}

/* Large buffers (weights, activations, a model's bytes), aligned to 2 MiB
 * from 4 MiB on, so that a kernel that gives transparent huge pages
 * unasked (enabled=always) can map them so. They are not marked
 * MADV_HUGEPAGE: where the kernel has no free huge page, that has the
 * fault wait for memory to be compacted (defrag=madvise, Debian's), and
 * on a machine whose memory had been in use it took importing VGG-16 from
 * 0.45 s to 1.1–3.0 s and its prepare from 0.37–0.48 s to 0.76–0.92 s.
 * Marked, the same import took 0.27 s where free huge pages were at hand
 * (just after another process gave them back); the runs were as fast
 * either way (VGG-16, AlexNet, ResNet-50, ViT-B/16: within ±4 %). A
 * graph marks its activation buffers (_cnnfilt_tensor_advise_huge_pages),
 * smaller and touched by every run. */
gpointer
_cnnfilt_alloc_large (gsize *bytes)
{
  gpointer data = NULL;
  gsize align = *bytes >= HUGE_PAGE * 2 ? HUGE_PAGE : TENSOR_ALIGN;
  *bytes = (MAX (*bytes, 1) + align - 1) / align * align;
  if (posix_memalign (&data, align, *bytes) != 0)
    return NULL;
  return data;
}

void
_cnnfilt_tensor_advise_huge_pages (CnnfiltTensor *tensor)
{
#ifdef MADV_HUGEPAGE
  gsize bytes = tensor->capacity * sizeof (gfloat);
  if (tensor->data != NULL && !tensor->borrowed && bytes >= HUGE_PAGE * 2 &&
      (guintptr) tensor->data % HUGE_PAGE == 0)
    madvise (tensor->data, bytes, MADV_HUGEPAGE); /* advice: no harm if refused */
#endif
}

/**
 * cnnfilt_alloc_large: (skip)
 * @bytes: how many
 *
 * Memory for large buffers an op keeps (packed weights, plans): aligned
 * for vector loads and, from a few megabytes, to the 2 MiB of a huge
 * page, as tensors' own buffers are. Free it with cnnfilt_free_large().
 *
 * Returns: (nullable): the memory, or %NULL when there is not enough
 */
gpointer
cnnfilt_alloc_large (gsize bytes)
{
  return _cnnfilt_alloc_large (&bytes);
}

/**
 * cnnfilt_free_large: (skip)
 * @memory: (nullable): memory from cnnfilt_alloc_large()
 *
 * Frees memory from cnnfilt_alloc_large().
 */
void
cnnfilt_free_large (gpointer memory)
{
  free (memory);
}

/**
 * CnnfiltTensorMoveFunc:
 * @tensor: the tensor whose values are being released
 * @values: its values, in its layout, freed once this returns
 * @move_data: the data given to cnnfilt_tensor_release_values() for it
 *
 * Moves the values of a tensor that cnnfilt_tensor_release_values() is
 * letting go to where they will be kept. The memory is about to be freed,
 * so it may overwrite it or give its pages back as it goes: a move in
 * parts that lets each part go once copied needs little more than one
 * copy of the values at any moment, where copying before the release
 * needs two. It runs under the lock that restores take, must not read
 * @tensor's values through the tensor, and cannot fail.
 */

/**
 * CnnfiltTensorRestoreFunc:
 * @tensor: the tensor whose values are wanted back
 * @values: memory for the tensor's capacity, to write its values into, in
 *   its layout
 * @user_data: the data given to cnnfilt_tensor_release_values()
 *
 * Writes back the values of a tensor that cnnfilt_tensor_release_values()
 * let go. It runs in whichever thread first reads the tensor, and must not
 * read @tensor's values itself; it may read other tensors' (weights made
 * again from those they were computed from).
 */

/**
 * cnnfilt_tensor_release_values: (skip)
 * @tensor: a tensor
 * @move: (nullable): moves the values to where they will be kept, before
 *   the memory is freed; %NULL where the caller has copied them already
 * @move_data: for @move, only while this runs
 * @restore: writes the values back when they are next read
 * @user_data: for @restore
 * @notify: frees @user_data, once @restore has run or the tensor is freed
 *   without its values read
 *
 * Frees the tensor's memory while its values are kept elsewhere: an op
 * holds its weights reordered into a kernel's layout, and keeping them
 * twice, in its layout and the op's, would double a model's memory. The
 * next read of the values by any function of the tensor, or a change of
 * its shape, allocates the memory again and has @restore write them back;
 * the tensor then holds them as before. Its shape and layout stay as they
 * are meanwhile.
 *
 * Nothing is freed or moved, and @user_data is not taken, where anything but ops'
 * tensor properties holds a reference to the tensor, or more than one op
 * besides those a graph made from it for its own runs (fused ops, which
 * run with it, one at a time): whoever holds it otherwise might read the
 * values meanwhile, in another thread or through a pointer obtained
 * before. Nor where the tensor wraps the caller's memory
 * (cnnfilt_tensor_new_wrapping()), has a copy on an OpenCL device or has
 * already released its values. This is for C ops.
 *
 * Returns: whether the values were released
 */
gboolean
cnnfilt_tensor_release_values (CnnfiltTensor *tensor, CnnfiltTensorMoveFunc move,
                               gpointer move_data, CnnfiltTensorRestoreFunc restore,
                               gpointer user_data, GDestroyNotify notify)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), FALSE);
  g_return_val_if_fail (restore != NULL, FALSE);
  gint op_holds = g_atomic_int_get (&tensor->op_holds);
  if ((gint) G_OBJECT (tensor)->ref_count > op_holds ||
      op_holds - g_atomic_int_get (&tensor->graph_holds) > 1 ||
      tensor->borrowed || tensor->data == NULL || tensor->device.mem != NULL ||
      tensor->device.pending != NULL)
    return FALSE;
  g_rec_mutex_lock (&restore_lock);
  gboolean released = tensor->restore == NULL;
  if (released)
    {
      if (move != NULL)
        move (tensor, tensor->data, move_data);
      free (tensor->data);
      tensor->data = NULL;
      tensor->restore_data = user_data;
      tensor->restore_notify = notify;
      g_atomic_pointer_set (&tensor->restore, restore);
    }
  g_rec_mutex_unlock (&restore_lock);
  return released;
}

static gboolean
tensor_reserve (CnnfiltTensor *self, const CnnfiltShape *shape, GError **error)
{
  gsize size = shape_size_checked (shape);
  if (size == 0)
    {
      g_autofree gchar *text = cnnfilt_shape_to_string (shape);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "invalid tensor shape %s: every dimension must be at least 1 "
                   "and the total must fit in memory", text);
      return FALSE;
    }
  host_restore (self); /* released values come back, kept where the memory is */
  if (size > self->capacity)
    {
      gsize bytes = (size * sizeof (gfloat) + TENSOR_ALIGN - 1) / TENSOR_ALIGN * TENSOR_ALIGN;
      gpointer data = NULL;
      if (bytes > _cnnfilt_physical_memory ())
        {
          g_autofree gchar *text = cnnfilt_shape_to_string (shape);
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                       "a tensor of shape %s needs %" G_GSIZE_FORMAT " MiB, more than this "
                       "machine's %" G_GSIZE_FORMAT " MiB of memory", text, bytes >> 20,
                       _cnnfilt_physical_memory () >> 20);
          return FALSE;
        }
      if ((data = _cnnfilt_alloc_large (&bytes)) == NULL)
        {
          g_autofree gchar *text = cnnfilt_shape_to_string (shape);
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                       "out of memory for a tensor of shape %s (%" G_GSIZE_FORMAT " MiB)",
                       text, bytes >> 20);
          return FALSE;
        }
      if (self->device.pending != NULL)
        _cnnfilt_cl_tensor_wait (self);
      if (!self->borrowed)
        free (self->data);
      self->borrowed = FALSE; /* a larger shape gets memory of its own */
      self->data = data;
      self->capacity = bytes / sizeof (gfloat);
    }
  /* The values are unspecified after a change of shape: none to bring back. */
  if (!cnnfilt_shape_equal (&self->shape, shape))
    self->device.sync = CNNFILT_TENSOR_SYNC_HOST;
  self->shape = *shape;
  return TRUE;
}

/**
 * cnnfilt_tensor_new:
 * @n: batch size, at least 1
 * @c: channels, at least 1
 * @h: height, at least 1
 * @w: width, at least 1
 * @error: return location for a #GError
 *
 * Creates a tensor filled with zeros.
 *
 * Returns: (transfer full): a new tensor, or %NULL when the shape is invalid
 *   or too large to allocate
 */
CnnfiltTensor *
cnnfilt_tensor_new (guint n, guint c, guint h, guint w, GError **error)
{
  CnnfiltShape shape = { n, c, h, w };
  CnnfiltTensor *self = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  if (!tensor_reserve (self, &shape, error))
    {
      g_object_unref (self);
      return NULL;
    }
  memset (self->data, 0, cnnfilt_shape_get_size (&shape) * sizeof (gfloat));
  return self;
}

/**
 * cnnfilt_tensor_new_from_data:
 * @data: (array length=n_values): the values in NCHW order
 * @n_values: the number of values; must be `n·c·h·w`
 * @n: batch size
 * @c: channels
 * @h: height
 * @w: width
 * @error: return location for a #GError
 *
 * Creates a tensor holding a copy of @data.
 *
 * Returns: (transfer full): a new tensor, or %NULL on a size mismatch
 */
CnnfiltTensor *
cnnfilt_tensor_new_from_data (const gfloat *data, gsize n_values,
                              guint n, guint c, guint h, guint w, GError **error)
{
  CnnfiltShape shape = { n, c, h, w };
  gsize size = cnnfilt_shape_get_size (&shape);
  if (size != 0 && n_values != size)
    {
      g_autofree gchar *text = cnnfilt_shape_to_string (&shape);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%" G_GSIZE_FORMAT " values given for a tensor of shape %s, "
                   "which holds %" G_GSIZE_FORMAT, n_values, text, size);
      return NULL;
    }
  CnnfiltTensor *self = cnnfilt_tensor_new (n, c, h, w, error);
  if (self != NULL)
    memcpy (self->data, data, size * sizeof (gfloat));
  return self;
}

/**
 * cnnfilt_tensor_new_from_bytes:
 * @bytes: native-endian float32 values in NCHW order
 * @n: batch size
 * @c: channels
 * @h: height
 * @w: width
 * @error: return location for a #GError
 *
 * Creates a tensor holding a copy of @bytes, for example the buffer of a
 * numpy float32 array.
 *
 * Returns: (transfer full): a new tensor, or %NULL on a size mismatch
 */
CnnfiltTensor *
cnnfilt_tensor_new_from_bytes (GBytes *bytes, guint n, guint c, guint h, guint w,
                               GError **error)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  if (length % sizeof (gfloat) != 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%" G_GSIZE_FORMAT " bytes is not a whole number of float32 values",
                   length);
      return NULL;
    }
  CnnfiltShape shape = { n, c, h, w };
  gsize size = cnnfilt_shape_get_size (&shape);
  if (size != 0 && length / sizeof (gfloat) != size)
    {
      g_autofree gchar *text = cnnfilt_shape_to_string (&shape);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%" G_GSIZE_FORMAT " bytes given for a tensor of shape %s, "
                   "which needs %" G_GSIZE_FORMAT, length, text, size * sizeof (gfloat));
      return NULL;
    }
  CnnfiltTensor *self = cnnfilt_tensor_new (n, c, h, w, error);
  if (self != NULL && length > 0)
    memcpy (self->data, data, length);
  return self;
}

/**
 * cnnfilt_tensor_new_wrapping:
 * @address: the address of n·c·h·w native-endian float32 values in NCHW
 *   order, aligned to 4 bytes, which the caller keeps alive and does not
 *   move for the life of the tensor
 * @n_bytes: the size of the memory at @address
 * @n: batch size
 * @c: channels
 * @h: height
 * @w: width
 * @error: return location for a #GError
 *
 * Creates a tensor whose values are the caller's memory, without a copy:
 * ops read and write it in place. The Python override
 * `Cnnfilt.Tensor.from_numpy()` wraps a float32 C-contiguous array this
 * way and keeps the array alive with the tensor. A later shape larger
 * than @n_bytes gives the tensor memory of its own.
 *
 * Returns: (transfer full): a new tensor, or %NULL when @address is 0 or
 *   misaligned, or @n_bytes does not hold the shape
 */
CnnfiltTensor *
cnnfilt_tensor_new_wrapping (guintptr address, gsize n_bytes, guint n, guint c, guint h, guint w,
                             GError **error)
{
  CnnfiltShape shape = { n, c, h, w };
  gsize size = cnnfilt_shape_get_size (&shape);
  if (size == 0)
    {
      g_autofree gchar *text = cnnfilt_shape_to_string (&shape);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "invalid tensor shape %s: every dimension must be at least 1", text);
      return NULL;
    }
  if (address == 0 || address % sizeof (gfloat) != 0 || n_bytes / sizeof (gfloat) < size)
    {
      g_autofree gchar *text = cnnfilt_shape_to_string (&shape);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "cannot wrap %" G_GSIZE_FORMAT " bytes at 0x%" G_GINTPTR_MODIFIER "x as a "
                   "tensor of shape %s (%" G_GSIZE_FORMAT " bytes, float-aligned)", n_bytes,
                   address, text, size * sizeof (gfloat));
      return NULL;
    }
  CnnfiltTensor *self = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  self->data = GSIZE_TO_POINTER (address);
  self->capacity = n_bytes / sizeof (gfloat);
  self->borrowed = TRUE;
  self->shape = shape;
  return self;
}

/**
 * cnnfilt_tensor_get_address:
 * @tensor: a tensor
 *
 * The address of the host values, made current (read back from a device
 * where it holds the only current copy) and writable: what the Python
 * override `Cnnfilt.Tensor.to_numpy()` views without a copy. It is valid
 * until the tensor changes shape or is finalized, and a device copy is
 * stale after it.
 *
 * Returns: the address of the values in NCHW order (the tensor's layout)
 */
guintptr
cnnfilt_tensor_get_address (CnnfiltTensor *tensor)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), 0);
  return GPOINTER_TO_SIZE (host_write (tensor));
}

/**
 * cnnfilt_tensor_copy:
 * @tensor: a tensor
 *
 * Returns: (transfer full): a new tensor with the same shape and values
 */
CnnfiltTensor *
cnnfilt_tensor_copy (CnnfiltTensor *tensor)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), NULL);
  CnnfiltTensor *copy = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  /* The source exists, so its size is known to be allocatable. */
  if (!tensor_reserve (copy, &tensor->shape, NULL))
    g_error ("out of memory copying a tensor");
  memcpy (copy->data, host_read (tensor), cnnfilt_shape_get_size (&tensor->shape) * sizeof (gfloat));
  copy->layout = tensor->layout;
  return copy;
}

/**
 * cnnfilt_tensor_get_shape:
 * @tensor: a tensor
 * @shape: (out caller-allocates): its shape
 */
void
cnnfilt_tensor_get_shape (CnnfiltTensor *tensor, CnnfiltShape *shape)
{
  g_return_if_fail (CNNFILT_IS_TENSOR (tensor));
  *shape = tensor->shape;
}

/**
 * cnnfilt_tensor_get_n:
 * @tensor: a tensor
 *
 * Returns: the batch size
 */
guint
cnnfilt_tensor_get_n (CnnfiltTensor *tensor)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), 0);
  return tensor->shape.n;
}

/**
 * cnnfilt_tensor_get_c:
 * @tensor: a tensor
 *
 * Returns: the number of channels
 */
guint
cnnfilt_tensor_get_c (CnnfiltTensor *tensor)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), 0);
  return tensor->shape.c;
}

/**
 * cnnfilt_tensor_get_h:
 * @tensor: a tensor
 *
 * Returns: the height
 */
guint
cnnfilt_tensor_get_h (CnnfiltTensor *tensor)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), 0);
  return tensor->shape.h;
}

/**
 * cnnfilt_tensor_get_w:
 * @tensor: a tensor
 *
 * Returns: the width
 */
guint
cnnfilt_tensor_get_w (CnnfiltTensor *tensor)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), 0);
  return tensor->shape.w;
}

/**
 * cnnfilt_tensor_get_size:
 * @tensor: a tensor
 *
 * Returns: the number of values, `n·c·h·w`
 */
gsize
cnnfilt_tensor_get_size (CnnfiltTensor *tensor)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), 0);
  return cnnfilt_shape_get_size (&tensor->shape);
}

/**
 * cnnfilt_tensor_set_shape:
 * @tensor: a tensor
 * @shape: the new shape
 * @error: return location for a #GError
 *
 * Gives @tensor a new shape. The buffer is kept when it is large enough and
 * grown otherwise; the values are unspecified afterwards.
 *
 * Returns: %TRUE, or %FALSE if the shape is invalid or cannot be allocated
 */
gboolean
cnnfilt_tensor_set_shape (CnnfiltTensor *tensor, const CnnfiltShape *shape, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), FALSE);
  return tensor_reserve (tensor, shape, error);
}

/**
 * cnnfilt_tensor_get_data: (skip)
 * @tensor: a tensor
 * @n_values: (out) (optional): the number of values
 *
 * The host buffer, for operators and C callers. It is 64-byte aligned and
 * valid until the tensor changes shape or is finalized.
 *
 * Returns: (transfer none): the values in NCHW order
 */
gfloat *
cnnfilt_tensor_get_data (CnnfiltTensor *tensor, gsize *n_values)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), NULL);
  if (n_values != NULL)
    *n_values = cnnfilt_shape_get_size (&tensor->shape);
  return host_write (tensor);
}

/**
 * cnnfilt_tensor_get_values:
 * @tensor: a tensor
 * @n_values: (out): the number of values
 *
 * Returns: (transfer full) (array length=n_values): a copy of the values in NCHW order
 */
gfloat *
cnnfilt_tensor_get_values (CnnfiltTensor *tensor, gsize *n_values)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), NULL);
  gsize size = cnnfilt_shape_get_size (&tensor->shape);
  *n_values = size;
  return g_memdup2 (host_read (tensor), size * sizeof (gfloat));
}

/**
 * cnnfilt_tensor_get_bytes:
 * @tensor: a tensor
 *
 * Returns: (transfer full): a copy of the values as native-endian float32
 *   bytes in NCHW order, ready for `numpy.frombuffer`
 */
GBytes *
cnnfilt_tensor_get_bytes (CnnfiltTensor *tensor)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), NULL);
  return g_bytes_new (host_read (tensor), cnnfilt_shape_get_size (&tensor->shape) * sizeof (gfloat));
}

static gsize
tensor_offset (CnnfiltTensor *t, guint n, guint c, guint h, guint w)
{
  if (t->layout == CNNFILT_LAYOUT_NHWC)
    return (((gsize) n * t->shape.h + h) * t->shape.w + w) * t->shape.c + c;
  return (((gsize) n * t->shape.c + c) * t->shape.h + h) * t->shape.w + w;
}

static gboolean
tensor_index_valid (CnnfiltTensor *t, guint n, guint c, guint h, guint w)
{
  return n < t->shape.n && c < t->shape.c && h < t->shape.h && w < t->shape.w;
}

/**
 * cnnfilt_tensor_get_value:
 * @tensor: a tensor
 * @n: image index
 * @c: channel
 * @h: row
 * @w: column
 *
 * Returns: the value at (@n, @c, @h, @w); 0 and a critical warning when the
 *   index is out of range
 */
gfloat
cnnfilt_tensor_get_value (CnnfiltTensor *tensor, guint n, guint c, guint h, guint w)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), 0.f);
  g_return_val_if_fail (tensor_index_valid (tensor, n, c, h, w), 0.f);
  return host_read (tensor)[tensor_offset (tensor, n, c, h, w)];
}

/**
 * cnnfilt_tensor_set_value:
 * @tensor: a tensor
 * @n: image index
 * @c: channel
 * @h: row
 * @w: column
 * @value: the new value
 */
void
cnnfilt_tensor_set_value (CnnfiltTensor *tensor, guint n, guint c, guint h, guint w,
                          gfloat value)
{
  g_return_if_fail (CNNFILT_IS_TENSOR (tensor));
  g_return_if_fail (tensor_index_valid (tensor, n, c, h, w));
  host_write (tensor)[tensor_offset (tensor, n, c, h, w)] = value;
}

/**
 * cnnfilt_tensor_fill:
 * @tensor: a tensor
 * @value: the value for every element
 */
void
cnnfilt_tensor_fill (CnnfiltTensor *tensor, gfloat value)
{
  g_return_if_fail (CNNFILT_IS_TENSOR (tensor));
  gsize size = cnnfilt_shape_get_size (&tensor->shape);
  gfloat *data = host_write (tensor);
  for (gsize i = 0; i < size; i++)
    data[i] = value;
}

/**
 * cnnfilt_tensor_get_plane: (skip)
 * @tensor: a tensor
 * @n: image index
 * @c: channel
 *
 * Returns: (transfer none): the first value of the `h × w` plane of image
 *   @n, channel @c; %NULL for an NHWC tensor, which has no planes
 */
gfloat *
cnnfilt_tensor_get_plane (CnnfiltTensor *tensor, guint n, guint c)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), NULL);
  g_return_val_if_fail (n < tensor->shape.n && c < tensor->shape.c, NULL);
  g_return_val_if_fail (tensor->layout == CNNFILT_LAYOUT_NCHW, NULL);
  return host_write (tensor) + tensor_offset (tensor, n, c, 0, 0);
}

/**
 * cnnfilt_tensor_get_capacity:
 * @tensor: a tensor
 *
 * The values the tensor's memory holds: at least its size, more after
 * cnnfilt_tensor_set_shape() shrank it, since a smaller shape keeps the
 * memory for a later larger one.
 *
 * Returns: the capacity, in values
 */
gsize
cnnfilt_tensor_get_capacity (CnnfiltTensor *tensor)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), 0);
  return tensor->capacity;
}

/**
 * cnnfilt_tensor_get_layout:
 * @tensor: a tensor
 *
 * Returns: the order of the values in memory: %CNNFILT_LAYOUT_NCHW for
 *   every tensor made by the caller or handed out by the library
 */
CnnfiltLayout
cnnfilt_tensor_get_layout (CnnfiltTensor *tensor)
{
  g_return_val_if_fail (CNNFILT_IS_TENSOR (tensor), CNNFILT_LAYOUT_NCHW);
  return tensor->layout;
}

/**
 * cnnfilt_tensor_set_layout:
 * @tensor: a tensor
 * @layout: the order its values are in
 *
 * Declares the order of the values; the values themselves do not move.
 * Graphs use it for the buffers between ops that keep channels last.
 */
void
cnnfilt_tensor_set_layout (CnnfiltTensor *tensor, CnnfiltLayout layout)
{
  g_return_if_fail (CNNFILT_IS_TENSOR (tensor));
  tensor->layout = layout;
}

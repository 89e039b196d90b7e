/* kernel.c: correlation with any user matrix
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! kernel matrix="1,0,-1;2,0,-2;1,0,-1" padding=0' -o out/ in/
 *
 * Cross-correlation as in CNN frameworks (the matrix is not flipped), with
 * the output size (i + 2p − k) / s + 1 of a convolution layer.
 */
#include "filter.h"

#include <errno.h>
#include <math.h>

#define MAX_KERNEL_SIZE 255

typedef struct {
  CnnfiltFilter parent_instance;
  gchar *matrix;
  gfloat scale;
  gfloat offset;
  guint stride;
  gint padding;
} CnnfiltKernel;

typedef struct {
  CnnfiltFilterClass parent_class;
} CnnfiltKernelClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltKernel, cnnfilt_kernel, CNNFILT_TYPE_FILTER)

enum { PROP_0, PROP_MATRIX, PROP_SCALE, PROP_OFFSET, PROP_STRIDE, PROP_PADDING, PROP_BORDER };

/* "1,0,-1; 2,0,-2; 1,0,-1": rows split by ';', values by ',' or spaces. */
static guint
cnnfilt_kernel_make_kernels (CnnfiltFilter *filter, FilterKernel *kernels[2], GError **error)
{
  CnnfiltKernel *self = (CnnfiltKernel *) filter;
  const gchar *text = self->matrix ? self->matrix : "";
  g_auto (GStrv) rows = g_strsplit (text, ";", -1);
  g_autoptr (GArray) values = g_array_new (FALSE, FALSE, sizeof (gfloat));
  guint width = 0, height = 0;

  for (guint r = 0; rows[r] != NULL; r++)
    {
      g_strdelimit (rows[r], ",\t\n", ' ');
      g_auto (GStrv) cells = g_strsplit (g_strstrip (rows[r]), " ", -1);
      guint count = 0;
      for (guint i = 0; cells[i] != NULL; i++)
        {
          if (cells[i][0] == '\0')
            continue;
          gchar *end = NULL;
          errno = 0;
          gdouble v = g_ascii_strtod (cells[i], &end);
          if (*end != '\0' || errno != 0 || !isfinite (v))
            {
              g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                           "kernel: matrix: '%s' in row %u is not a number", cells[i], r + 1);
              return 0;
            }
          gfloat scaled = (gfloat) (v * self->scale);
          g_array_append_val (values, scaled);
          count++;
        }
      if (count == 0 && rows[r + 1] == NULL && r > 0)
        break; /* a trailing ';' */
      if (count == 0)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "kernel: matrix: row %u is empty (rows are separated by ';', values by ',')",
                       r + 1);
          return 0;
        }
      if (width != 0 && count != width)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "kernel: matrix: row %u has %u values, the first row has %u",
                       r + 1, count, width);
          return 0;
        }
      width = count;
      height++;
      if (width > MAX_KERNEL_SIZE || height > MAX_KERNEL_SIZE)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "kernel: matrix: larger than %u×%u", MAX_KERNEL_SIZE, MAX_KERNEL_SIZE);
          return 0;
        }
    }
  if (height == 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "kernel: matrix: empty (give rows separated by ';', as \"1,0,-1;2,0,-2;1,0,-1\")");
      return 0;
    }
  kernels[0] = filter_kernel_new (height, width, (const gfloat *) values->data);
  return 1;
}

static void
update_geometry (CnnfiltKernel *self)
{
  cnnfilt_filter_set_geometry (CNNFILT_FILTER (self), self->stride, self->padding, self->offset);
}

static void
cnnfilt_kernel_set_property (GObject *object, guint prop_id, const GValue *value,
                             GParamSpec *pspec)
{
  CnnfiltKernel *self = (CnnfiltKernel *) object;
  switch (prop_id)
    {
    case PROP_MATRIX:
      g_free (self->matrix);
      self->matrix = g_value_dup_string (value);
      break;
    case PROP_SCALE:
      self->scale = g_value_get_float (value);
      break;
    case PROP_OFFSET:
      self->offset = g_value_get_float (value);
      break;
    case PROP_STRIDE:
      self->stride = g_value_get_uint (value);
      break;
    case PROP_PADDING:
      self->padding = g_value_get_int (value);
      break;
    case PROP_BORDER:
      cnnfilt_filter_set_border (CNNFILT_FILTER (object), g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
  update_geometry (self);
}

static void
cnnfilt_kernel_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CnnfiltKernel *self = (CnnfiltKernel *) object;
  switch (prop_id)
    {
    case PROP_MATRIX:
      g_value_set_string (value, self->matrix);
      break;
    case PROP_SCALE:
      g_value_set_float (value, self->scale);
      break;
    case PROP_OFFSET:
      g_value_set_float (value, self->offset);
      break;
    case PROP_STRIDE:
      g_value_set_uint (value, self->stride);
      break;
    case PROP_PADDING:
      g_value_set_int (value, self->padding);
      break;
    case PROP_BORDER:
      g_value_set_enum (value, cnnfilt_filter_get_border (CNNFILT_FILTER (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_kernel_finalize (GObject *object)
{
  g_free (((CnnfiltKernel *) object)->matrix);
  G_OBJECT_CLASS (cnnfilt_kernel_parent_class)->finalize (object);
}

static void
cnnfilt_kernel_class_init (CnnfiltKernelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS;
  object_class->set_property = cnnfilt_kernel_set_property;
  object_class->get_property = cnnfilt_kernel_get_property;
  object_class->finalize = cnnfilt_kernel_finalize;
  op_class->name = "kernel";
  op_class->description = "Cross-correlation with any matrix, with scale, offset, stride and padding";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_kernel_make_kernels;

  g_object_class_install_property (
      object_class, PROP_MATRIX,
      g_param_spec_string ("matrix", "Matrix",
                           "Kernel rows separated by ';', values by ',': \"1,0,-1;2,0,-2;1,0,-1\". "
                           "Not flipped: out(y, x) = Σ m(i, j) · in(y·s + i − p, x·s + j − p)",
                           "1", flags));
  g_object_class_install_property (
      object_class, PROP_SCALE,
      g_param_spec_float ("scale", "Scale", "Factor applied to every matrix value (1/9 for a 3×3 mean)",
                          -1e6f, 1e6f, 1.0f, flags));
  g_object_class_install_property (
      object_class, PROP_OFFSET,
      g_param_spec_float ("offset", "Offset", "Added to every output value (0.5 centres signed "
                          "responses for viewing)", -1e6f, 1e6f, 0.0f, flags));
  g_object_class_install_property (
      object_class, PROP_STRIDE,
      g_param_spec_uint ("stride", "Stride", "Step between output samples, in pixels",
                         1, 64, 1, flags));
  g_object_class_install_property (
      object_class, PROP_PADDING,
      g_param_spec_int ("padding", "Padding",
                        "Pixels added on each side: -1 pads to keep the size at stride 1 "
                        "(\"same\"), 0 is a valid convolution that shrinks the image",
                        -1, 1000, -1, flags));
  cnnfilt_filter_class_install_border (CNNFILT_FILTER_CLASS (klass), PROP_BORDER,
                                       CNNFILT_BORDER_ZERO,
                                       "zero padding, as conv2d layers pad, so results match CNN frameworks");
}

static void
cnnfilt_kernel_class_finalize (CnnfiltKernelClass *klass)
{
}

static void
cnnfilt_kernel_init (CnnfiltKernel *self)
{
}

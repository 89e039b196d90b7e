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

/* stride, padding, offset and border are the filter's own fields */
typedef struct {
  CnnfiltFilter parent_instance;
  gchar *matrix;
  gfloat scale;
} CnnfiltKernel;

typedef struct {
  CnnfiltFilterClass parent_class;
} CnnfiltKernelClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltKernel, cnnfilt_kernel, CNNFILT_TYPE_FILTER)

static const CnnfiltOpProp kernel_props[] = {
  { "matrix", "Kernel rows separated by ';', values by ',': \"1,0,-1;2,0,-2;1,0,-1\". "
    "Not flipped: out(y, x) = Σ m(i, j) · in(y·s + i − p, x·s + j − p)", CNNFILT_OP_PROP_STRING,
    CNNFILT_OP_PROP_FIELD (CnnfiltKernel, matrix), 0, 0, 0, NULL, { 0 }, "1" },
  { "scale", "Factor applied to every matrix value (1/9 for a 3×3 mean)", CNNFILT_OP_PROP_FLOAT,
    CNNFILT_OP_PROP_FIELD (CnnfiltKernel, scale), -1e6, 1e6, 1, NULL, { 0 } },
  { "offset", "Added to every output value (0.5 centres signed responses for viewing)",
    CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltFilter, offset), -1e6, 1e6, 0, NULL, { 0 } },
  { "stride", "Step between output samples, in pixels", CNNFILT_OP_PROP_UINT,
    CNNFILT_OP_PROP_FIELD (CnnfiltFilter, stride), 1, 64, 1, NULL, { 0 } },
  { "padding", "Pixels added on each side: -1 pads to keep the size at stride 1 (\"same\"), 0 is "
    "a valid convolution that shrinks the image", CNNFILT_OP_PROP_INT,
    CNNFILT_OP_PROP_FIELD (CnnfiltFilter, padding), -1, 1000, -1, NULL, { 0 } },
  FILTER_BORDER_PROP (CNNFILT_BORDER_ZERO, "zero",
                      "zero padding, as conv2d layers pad, so results match CNN frameworks"),
};

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
cnnfilt_kernel_class_init (CnnfiltKernelClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "kernel";
  op_class->description = "Cross-correlation with any matrix, with scale, offset, stride and padding";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_kernel_make_kernels;
  cnnfilt_op_class_install_properties (op_class, kernel_props, G_N_ELEMENTS (kernel_props));
}

static void
cnnfilt_kernel_class_finalize (CnnfiltKernelClass *klass)
{
}

static void
cnnfilt_kernel_init (CnnfiltKernel *self)
{
}

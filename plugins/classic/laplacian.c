/* laplacian.c: the Laplacian, a second-derivative edge and blob filter
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! laplacian neighbours=8 ! normalize' -o out/ photos/
 */
#include "filter.h"

typedef struct {
  CnnfiltFilter parent_instance;
  guint neighbours;
} CnnfiltLaplacian;

typedef struct {
  CnnfiltFilterClass parent_class;
} CnnfiltLaplacianClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltLaplacian, cnnfilt_laplacian, CNNFILT_TYPE_FILTER)

static const CnnfiltOpProp laplacian_props[] = {
  { "neighbours", "4: [0 1 0; 1 -4 1; 0 1 0]; 8: [1 1 1; 1 -8 1; 1 1 1], which also responds to "
    "diagonal edges", CNNFILT_OP_PROP_UINT, CNNFILT_OP_PROP_FIELD (CnnfiltLaplacian, neighbours),
    4, 8, 4, NULL, { 0 } },
  FILTER_BORDER_PROP (CNNFILT_BORDER_REPLICATE, "replicate",
                      "a zero border would respond to the frame of the image"),
};

static guint
cnnfilt_laplacian_make_kernels (CnnfiltFilter *filter, FilterKernel *kernels[2], GError **error)
{
  CnnfiltLaplacian *self = (CnnfiltLaplacian *) filter;
  static const gfloat four[9] = { 0, 1, 0, 1, -4, 1, 0, 1, 0 };
  static const gfloat eight[9] = { 1, 1, 1, 1, -8, 1, 1, 1, 1 };
  if (self->neighbours != 4 && self->neighbours != 8)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "laplacian: neighbours: %u is not 4 or 8", self->neighbours);
      return 0;
    }
  kernels[0] = filter_kernel_new (3, 3, self->neighbours == 4 ? four : eight);
  return 1;
}

static void
cnnfilt_laplacian_class_init (CnnfiltLaplacianClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "laplacian";
  op_class->description = "Laplacian: sum of second derivatives, 4- or 8-neighbour 3×3 kernel";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_laplacian_make_kernels;
  cnnfilt_op_class_install_properties (op_class, laplacian_props, G_N_ELEMENTS (laplacian_props));
}

static void
cnnfilt_laplacian_class_finalize (CnnfiltLaplacianClass *klass)
{
}

static void
cnnfilt_laplacian_init (CnnfiltLaplacian *self)
{
}

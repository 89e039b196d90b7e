/* sharpen.c: unsharp-style sharpening with a 3×3 kernel
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'sharpen amount=0.5' -o out/ photos/
 */
#include "filter.h"

typedef struct {
  CnnfiltFilter parent_instance;
  gfloat amount;
} CnnfiltSharpen;

typedef struct {
  CnnfiltFilterClass parent_class;
} CnnfiltSharpenClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSharpen, cnnfilt_sharpen, CNNFILT_TYPE_FILTER)

static const CnnfiltOpProp sharpen_props[] = {
  { "amount", "Strength: 0 leaves the image as it is, 1 is the classic kernel",
    CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltSharpen, amount), 0, 100, 1, NULL, { 0 } },
  FILTER_BORDER_PROP (CNNFILT_BORDER_REPLICATE, "replicate",
                      "a zero border would brighten a halo around the frame"),
};

/* identity minus amount × the 4-neighbour Laplacian: [0 -a 0; -a 1+4a -a; 0 -a 0] */
static guint
cnnfilt_sharpen_make_kernels (CnnfiltFilter *filter, FilterKernel *kernels[2], GError **error)
{
  gfloat a = ((CnnfiltSharpen *) filter)->amount;
  const gfloat values[9] = { 0, -a, 0, -a, 1 + 4 * a, -a, 0, -a, 0 };
  kernels[0] = filter_kernel_new (3, 3, values);
  return 1;
}

static void
cnnfilt_sharpen_class_init (CnnfiltSharpenClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "sharpen";
  op_class->description = "Sharpen: the image minus amount × its Laplacian, [0 -1 0; -1 5 -1; 0 -1 0] at amount 1";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_sharpen_make_kernels;
  cnnfilt_op_class_install_properties (op_class, sharpen_props, G_N_ELEMENTS (sharpen_props));
}

static void
cnnfilt_sharpen_class_finalize (CnnfiltSharpenClass *klass)
{
}

static void
cnnfilt_sharpen_init (CnnfiltSharpen *self)
{
}

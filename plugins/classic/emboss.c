/* emboss.c: relief effect, light from the top left
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! emboss' -o out/ photos/
 */
#include "filter.h"

typedef struct {
  CnnfiltFilter parent_instance;
} CnnfiltEmboss;

typedef struct {
  CnnfiltFilterClass parent_class;
} CnnfiltEmbossClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltEmboss, cnnfilt_emboss, CNNFILT_TYPE_FILTER)

static const CnnfiltOpProp emboss_props[] = {
  FILTER_BORDER_PROP (CNNFILT_BORDER_REPLICATE, "replicate",
                      "a zero border would emboss the frame of the image"),
};

static guint
cnnfilt_emboss_make_kernels (CnnfiltFilter *filter, FilterKernel *kernels[2], GError **error)
{
  static const gfloat emboss[9] = { -2, -1, 0, -1, 1, 1, 0, 1, 2 };
  kernels[0] = filter_kernel_new (3, 3, emboss);
  return 1;
}

static void
cnnfilt_emboss_class_init (CnnfiltEmbossClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "emboss";
  op_class->description = "Emboss: relief lit from the top left, kernel [-2 -1 0; -1 1 1; 0 1 2]";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_emboss_make_kernels;
  cnnfilt_op_class_install_properties (op_class, emboss_props, G_N_ELEMENTS (emboss_props));
}

static void
cnnfilt_emboss_class_finalize (CnnfiltEmbossClass *klass)
{
}

static void
cnnfilt_emboss_init (CnnfiltEmboss *self)
{
}

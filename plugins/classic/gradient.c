/* gradient.c: first-derivative filters (sobel, scharr, prewitt)
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "gradient.h"

GType
cnnfilt_gradient_direction_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { CNNFILT_GRADIENT_X, "CNNFILT_GRADIENT_X", "x" },
        { CNNFILT_GRADIENT_Y, "CNNFILT_GRADIENT_Y", "y" },
        { CNNFILT_GRADIENT_MAGNITUDE, "CNNFILT_GRADIENT_MAGNITUDE", "magnitude" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltGradientDirection", values));
    }
  return type;
}

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CnnfiltGradient, cnnfilt_gradient, CNNFILT_TYPE_FILTER,
                                G_TYPE_FLAG_ABSTRACT, {})

void
cnnfilt_gradient_register (GTypeModule *module)
{
  cnnfilt_gradient_register_type (module);
}

static const CnnfiltOpProp gradient_props[] = {
  { "direction", "x: horizontal derivative Gx (responds to vertical edges); y: vertical "
    "derivative Gy, positive where the image is brighter above; magnitude: sqrt(Gx² + Gy²)",
    CNNFILT_OP_PROP_ENUM, CNNFILT_OP_PROP_FIELD (CnnfiltGradient, direction), 0, 0,
    CNNFILT_GRADIENT_MAGNITUDE, cnnfilt_gradient_direction_get_type, { 0 } },
  FILTER_BORDER_PROP (CNNFILT_BORDER_REPLICATE, "replicate",
                      "a zero border would draw a false edge around every image"),
};

static guint
cnnfilt_gradient_make_kernels (CnnfiltFilter *filter, FilterKernel *kernels[2], GError **error)
{
  CnnfiltGradient *self = (CnnfiltGradient *) filter;
  const gfloat *smooth = CNNFILT_GRADIENT_GET_CLASS (self)->smooth;
  static const gfloat derivative_x[3] = { -1, 0, 1 };
  static const gfloat derivative_y[3] = { 1, 0, -1 };
  guint n = 0;
  if (self->direction != CNNFILT_GRADIENT_Y)
    kernels[n++] = filter_kernel_new_separable (smooth, 3, derivative_x, 3);
  if (self->direction != CNNFILT_GRADIENT_X)
    kernels[n++] = filter_kernel_new_separable (derivative_y, 3, smooth, 3);
  return n;
}

static void
cnnfilt_gradient_class_init (CnnfiltGradientClass *klass)
{
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_gradient_make_kernels;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), gradient_props,
                                       G_N_ELEMENTS (gradient_props));
}

static void
cnnfilt_gradient_class_finalize (CnnfiltGradientClass *klass)
{
}

static void
cnnfilt_gradient_init (CnnfiltGradient *self)
{
}

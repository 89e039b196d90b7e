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

enum { PROP_0, PROP_AMOUNT, PROP_BORDER };

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
cnnfilt_sharpen_set_property (GObject *object, guint prop_id, const GValue *value,
                              GParamSpec *pspec)
{
  CnnfiltSharpen *self = (CnnfiltSharpen *) object;
  switch (prop_id)
    {
    case PROP_AMOUNT:
      self->amount = g_value_get_float (value);
      break;
    case PROP_BORDER:
      cnnfilt_filter_set_border (CNNFILT_FILTER (object), g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_sharpen_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CnnfiltSharpen *self = (CnnfiltSharpen *) object;
  switch (prop_id)
    {
    case PROP_AMOUNT:
      g_value_set_float (value, self->amount);
      break;
    case PROP_BORDER:
      g_value_set_enum (value, cnnfilt_filter_get_border (CNNFILT_FILTER (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_sharpen_class_init (CnnfiltSharpenClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  object_class->set_property = cnnfilt_sharpen_set_property;
  object_class->get_property = cnnfilt_sharpen_get_property;
  op_class->name = "sharpen";
  op_class->description = "Sharpen: the image minus amount × its Laplacian, [0 -1 0; -1 5 -1; 0 -1 0] at amount 1";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_sharpen_make_kernels;

  g_object_class_install_property (
      object_class, PROP_AMOUNT,
      g_param_spec_float ("amount", "Amount",
                          "Strength: 0 leaves the image as it is, 1 is the classic kernel",
                          0.0f, 100.0f, 1.0f,
                          G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
  cnnfilt_filter_class_install_border (CNNFILT_FILTER_CLASS (klass), PROP_BORDER,
                                       CNNFILT_BORDER_REPLICATE,
                                       "a zero border would brighten a halo around the frame");
}

static void
cnnfilt_sharpen_class_finalize (CnnfiltSharpenClass *klass)
{
}

static void
cnnfilt_sharpen_init (CnnfiltSharpen *self)
{
}

/* grayscale.c: colour to luma
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! sobel' -o out/ photos/
 */
#include <cnnfilt.h>

#include <string.h>

typedef enum {
  CNNFILT_LUMA_REC601,
  CNNFILT_LUMA_REC709,
} CnnfiltLuma;

static GType
cnnfilt_luma_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { CNNFILT_LUMA_REC601, "CNNFILT_LUMA_REC601", "rec601" },
        { CNNFILT_LUMA_REC709, "CNNFILT_LUMA_REC709", "rec709" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltLuma", values));
    }
  return type;
}

typedef struct {
  CnnfiltOp parent_instance;
  CnnfiltLuma weights;
} CnnfiltGrayscale;

typedef struct {
  CnnfiltOpClass parent_class;
} CnnfiltGrayscaleClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltGrayscale, cnnfilt_grayscale, CNNFILT_TYPE_OP)

static const CnnfiltOpProp grayscale_props[] = {
  { "weights", "rec601: 0.299 R + 0.587 G + 0.114 B, as JPEG and OpenCV; rec709: "
    "0.2126 R + 0.7152 G + 0.0722 B, as HDTV", CNNFILT_OP_PROP_ENUM,
    CNNFILT_OP_PROP_FIELD (CnnfiltGrayscale, weights), 0, 0, CNNFILT_LUMA_REC601,
    cnnfilt_luma_get_type, { 0 } },
};

static gboolean
cnnfilt_grayscale_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                         CnnfiltShape *output, GError **error)
{
  if (inputs[0].c > 4)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "grayscale: takes images of 1 to 4 channels, not %u", inputs[0].c);
      return FALSE;
    }
  *output = (CnnfiltShape) { inputs[0].n, 1, inputs[0].h, inputs[0].w };
  return TRUE;
}

/* Grey and grey+alpha keep their grey; RGB and RGBA give the weighted sum
 * of R, G and B. Alpha is dropped: an edge map of a constant alpha plane
 * would be all zero, a fully transparent picture. */
static gboolean
cnnfilt_grayscale_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                       CnnfiltTensor **inputs, guint n_inputs,
                       CnnfiltTensor *output, GError **error)
{
  CnnfiltGrayscale *self = (CnnfiltGrayscale *) op;
  CnnfiltTensor *in = inputs[0];
  guint c = cnnfilt_tensor_get_c (in);
  gsize plane = (gsize) cnnfilt_tensor_get_h (in) * cnnfilt_tensor_get_w (in);
  const gfloat kr = self->weights == CNNFILT_LUMA_REC709 ? 0.2126f : 0.299f;
  const gfloat kg = self->weights == CNNFILT_LUMA_REC709 ? 0.7152f : 0.587f;
  const gfloat kb = self->weights == CNNFILT_LUMA_REC709 ? 0.0722f : 0.114f;

  for (guint n = 0; n < cnnfilt_tensor_get_n (in); n++)
    {
      gfloat *restrict out = cnnfilt_tensor_get_plane (output, n, 0);
      const gfloat *restrict r = cnnfilt_tensor_get_plane (in, n, 0);
      if (c < 3)
        {
          memcpy (out, r, plane * sizeof (gfloat));
          continue;
        }
      const gfloat *restrict g = cnnfilt_tensor_get_plane (in, n, 1);
      const gfloat *restrict b = cnnfilt_tensor_get_plane (in, n, 2);
      for (gsize i = 0; i < plane; i++)
        out[i] = kr * r[i] + kg * g[i] + kb * b[i];
    }
  return TRUE;
}

static gboolean
cnnfilt_grayscale_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                          CnnfiltTensor **inputs, guint n_inputs,
                          CnnfiltTensor *output, GError **error)
{
  CnnfiltGrayscale *self = (CnnfiltGrayscale *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/image/grayscale.cl",
                                                              error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  gboolean rec709 = self->weights == CNNFILT_LUMA_REC709;
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_INT (in.c),
    CNNFILT_KERNEL_INT (in.h * in.w), CNNFILT_KERNEL_FLOAT (rec709 ? 0.2126f : 0.299f),
    CNNFILT_KERNEL_FLOAT (rec709 ? 0.7152f : 0.587f),
    CNNFILT_KERNEL_FLOAT (rec709 ? 0.0722f : 0.114f),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "grayscale", 2, { (gsize) in.h * in.w, in.n } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static void
cnnfilt_grayscale_class_init (CnnfiltGrayscaleClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "grayscale";
  op_class->description = "Colour to one luma channel (alpha dropped); grey images pass through";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_grayscale_infer;
  op_class->run = cnnfilt_grayscale_run;
  op_class->run_cl = cnnfilt_grayscale_run_cl;
  cnnfilt_op_class_install_properties (op_class, grayscale_props, G_N_ELEMENTS (grayscale_props));
}

static void
cnnfilt_grayscale_class_finalize (CnnfiltGrayscaleClass *klass)
{
}

static void
cnnfilt_grayscale_init (CnnfiltGrayscale *self)
{
}

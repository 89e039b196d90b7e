/* example.c: a plugin outside libcnnfilt's tree, with two ops
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * posterize: a point op (CnnfiltPointOp): one expression gives the C loop
 * and the OpenCL kernel. min-filter: an area op (CnnfiltAreaOp): the base
 * gives the window's properties, output size, receptive field. Both use
 * only the installed <cnnfilt.h>.
 */
#include <cnnfilt.h>
#include <math.h>

/* posterize: LEVELS grey levels in [0, 1] */

typedef struct {
  CnnfiltPointOp parent_instance;
  gint levels;
} ExamplePosterize;
typedef CnnfiltPointOpClass ExamplePosterizeClass;

CNNFILT_DEFINE_OP_TYPE (ExamplePosterize, example_posterize, CNNFILT_TYPE_POINT_OP)

static const CnnfiltOpProp posterize_props[] = {
  { "levels", "Grey levels kept, from 2 (black and white) up", CNNFILT_OP_PROP_INT,
    CNNFILT_OP_PROP_FIELD (ExamplePosterize, levels), 2, 256, 4, NULL, { 0 }, NULL, 0 },
};

CNNFILT_POINT_OP_RUN (example_posterize_run, ExamplePosterize,
                      floor (fmin (fmax (x, 0.0f), 1.0f) * (self->levels - 1) + 0.5f) /
                          (self->levels - 1))

static void
example_posterize_class_init (ExamplePosterizeClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "posterize";
  op_class->description = "Round values in [0, 1] to a few levels";
  op_class->example = "grayscale ! posterize levels=4";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, example_posterize_run);
  cnnfilt_op_class_install_properties (op_class, posterize_props, G_N_ELEMENTS (posterize_props));
}

static void
example_posterize_class_finalize (ExamplePosterizeClass *klass G_GNUC_UNUSED)
{
}

static void
example_posterize_init (ExamplePosterize *self G_GNUC_UNUSED)
{
}

/* min-filter: the smallest value of each window (an erosion) */

typedef struct {
  CnnfiltAreaOp parent_instance;
} ExampleMinFilter;
typedef CnnfiltAreaOpClass ExampleMinFilterClass;

CNNFILT_DEFINE_OP_TYPE (ExampleMinFilter, example_min_filter, CNNFILT_TYPE_AREA_OP)

static const CnnfiltOpProp min_filter_props[] = {
  CNNFILT_AREA_OP_KERNEL_PROPS (3),
  CNNFILT_AREA_OP_STRIDE_PROPS (1, ""),
  CNNFILT_AREA_OP_BORDER_PROP (CNNFILT_BORDER_REPLICATE, "replicate", "the frame is not eroded"),
};

static gboolean
example_min_filter_run (CnnfiltOp *op, const CnnfiltRunContext *ctx G_GNUC_UNUSED,
                        CnnfiltTensor **inputs, guint n_inputs G_GNUC_UNUSED,
                        CnnfiltTensor *output, GError **error)
{
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  CnnfiltWindowPlan p;
  if (!cnnfilt_area_op_plan (CNNFILT_AREA_OP (op), in.h, in.w, &p, error))
    return FALSE;
  for (guint n = 0; n < in.n; n++)
    for (guint c = 0; c < in.c; c++)
      {
        const gfloat *src = cnnfilt_tensor_get_plane (inputs[0], n, c);
        gfloat *dst = cnnfilt_tensor_get_plane (output, n, c);
        for (guint y = 0; y < p.out_h; y++)
          for (guint x = 0; x < p.out_w; x++)
            {
              gfloat m = INFINITY;
              for (gint i = 0; i < p.kernel_h; i++)
                for (gint j = 0; j < p.kernel_w; j++)
                  {
                    gint iy = (gint) y * p.stride_h - p.pad_top + i;
                    gint ix = (gint) x * p.stride_w - p.pad_left + j;
                    if (p.border == CNNFILT_BORDER_ZERO &&
                        (iy < 0 || ix < 0 || iy >= (gint) in.h || ix >= (gint) in.w))
                      {
                        m = fminf (m, 0.0f);
                        continue;
                      }
                    iy = CLAMP (iy, 0, (gint) in.h - 1); /* replicate; reflect is left out */
                    ix = CLAMP (ix, 0, (gint) in.w - 1);
                    m = fminf (m, src[iy * in.w + ix]);
                  }
              dst[y * p.out_w + x] = m;
            }
      }
  return TRUE;
}

static void
example_min_filter_class_init (ExampleMinFilterClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "min-filter";
  op_class->description = "The smallest value of each kernel-h×kernel-w window (an erosion)";
  op_class->example = "grayscale ! min-filter kernel=5 padding=2";
  op_class->run = example_min_filter_run;
  cnnfilt_op_class_install_properties (op_class, min_filter_props,
                                       G_N_ELEMENTS (min_filter_props));
}

static void
example_min_filter_class_finalize (ExampleMinFilterClass *klass G_GNUC_UNUSED)
{
}

static void
example_min_filter_init (ExampleMinFilter *self G_GNUC_UNUSED)
{
}

static void
register_example (GTypeModule *module)
{
  example_posterize_register (module);
  example_min_filter_register (module);
}

CNNFILT_PLUGIN_DEFINE (register_example)

/* slice.c: a strided block of a tensor, as ONNX's Slice
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'slice axes=1 starts=0 ends=d1/2' -o out/ in/
 *
 * Along each of its axes the output takes the values start, start + step …
 * up to end (exclusive), as Python's x[start:end:step]: negative starts
 * and ends count from the end of the dim, ends beyond the dim are clamped
 * to it (exporters write INT64_MAX for "to the end", INT64_MIN for "to the
 * start" going backwards), a negative step walks backwards from start. The
 * other dims are kept. A start or end may also be an expression of the
 * input's dims d0 … d3 (numbers, + - * / and brackets; / rounds toward
 * zero, as integer division in ONNX runtimes): PyTorch's x.chunk(2, 1)
 * exports the bounds as Shape arithmetic, which the importer folds into
 * (d1 + 1) / 2 and the like. Tensors hold four dims, the model's rank of
 * them first and then 1s: `rank` says how many are the model's (the
 * importer sets it), for negative axes and the default axes. An empty
 * result is refused: tensors here always hold values.
 */
#include "layer.h"

#include <string.h>

typedef struct {
  CnnfiltOp parent_instance;
  gchar *starts, *ends, *axes, *steps;
  gint rank;
} CnnfiltSlice;

typedef CnnfiltOpClass CnnfiltSliceClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltSlice, cnnfilt_slice, CNNFILT_TYPE_OP)

static const CnnfiltOpProp slice_props[] = {
  { "starts", "Where the slice begins along each axis, comma-separated: a number (negative "
    "counts from the end) or an expression of the input's dims d0 … d3 (d1/2)",
    CNNFILT_OP_PROP_STRING, CNNFILT_OP_PROP_FIELD (CnnfiltSlice, starts), 0, 0, 0, NULL, { 0 },
    "" },
  { "ends", "Where it ends (exclusive) along each axis, as starts; clamped to the dim",
    CNNFILT_OP_PROP_STRING, CNNFILT_OP_PROP_FIELD (CnnfiltSlice, ends), 0, 0, 0, NULL, { 0 },
    "" },
  { "axes", "The dims sliced, comma-separated (0 n, 1 c, 2 h, 3 w; negative counts back from "
    "rank); empty: the first dims, one per start", CNNFILT_OP_PROP_STRING,
    CNNFILT_OP_PROP_FIELD (CnnfiltSlice, axes), 0, 0, 0, NULL, { 0 }, "" },
  { "steps", "The step along each axis, comma-separated, not 0 (negative: backwards from "
    "start); empty: 1s", CNNFILT_OP_PROP_STRING, CNNFILT_OP_PROP_FIELD (CnnfiltSlice, steps), 0,
    0, 0, NULL, { 0 }, "" },
  { "rank", "How many of the four dims are the model's (the others are 1s), for negative axes",
    CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (CnnfiltSlice, rank), 1, 4, 4, NULL, { 0 } },
};

/* ---- What is sliced ------------------------------------------------------ */

/* For each of the four dims, the first input value taken, the step and
 * how many are taken. */
typedef struct {
  gint64 first[4], step[4], count[4];
} SlicePlan;

/* Checks the properties, and with @in (NULL: only checked) plans the
 * slice of an input of that shape. */
static gboolean
slice_plan (CnnfiltOp *op, const CnnfiltShape *in, SlicePlan *plan, GError **error)
{
  CnnfiltSlice *self = (CnnfiltSlice *) op;
  g_auto (GStrv) starts = layer_split_list (self->starts);
  g_auto (GStrv) ends = layer_split_list (self->ends);
  g_auto (GStrv) axes = layer_split_list (self->axes);
  g_auto (GStrv) steps = layer_split_list (self->steps);
  guint n = g_strv_length (starts);
  const gint rank = self->rank;
  if (n == 0 || g_strv_length (ends) != n || (axes[0] != NULL && g_strv_length (axes) != n) ||
      (steps[0] != NULL && g_strv_length (steps) != n) || n > (guint) rank)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "slice: starts '%s', ends '%s', axes '%s' and steps '%s' must give one value "
                   "per axis, 1 to %d of them (axes and steps may be empty)", self->starts,
                   self->ends, self->axes, self->steps, rank);
      return FALSE;
    }
  const guint d[4] = { in ? in->n : 1, in ? in->c : 1, in ? in->h : 1, in ? in->w : 1 };
  for (guint k = 0; k < 4; k++)
    {
      plan->first[k] = 0;
      plan->step[k] = 1;
      plan->count[k] = d[k];
    }
  guint used = 0;
  for (guint i = 0; i < n; i++)
    {
      gint64 axis = i, step = 1, start, end;
      if (axes[0] != NULL &&
          (!g_ascii_string_to_signed (axes[i], 10, -rank, rank - 1, &axis, NULL) ||
           (used & (1u << (axis < 0 ? axis + rank : axis)))))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "slice: axes '%s': expected distinct dims from %d to %d", self->axes,
                       -rank, rank - 1);
          return FALSE;
        }
      axis = axis < 0 ? axis + rank : axis;
      used |= 1u << axis;
      if (steps[0] != NULL &&
          (!g_ascii_string_to_signed (steps[i], 10, G_MININT64 + 1, G_MAXINT64, &step, NULL) ||
           step == 0))
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "slice: steps '%s': expected whole numbers other than 0", self->steps);
          return FALSE;
        }
      if (!layer_dim_expr_value ("slice", "starts", starts[i], in ? d : NULL, &start, error) ||
          !layer_dim_expr_value ("slice", "ends", ends[i], in ? d : NULL, &end, error))
        return FALSE;
      if (in == NULL)
        continue;
      /* Python's (and ONNX's) clamping: forwards within [0, dim], backwards
       * from at most dim − 1 down to at least −1, before the first */
      const gint64 dim = d[axis];
      start = start < 0 ? start + dim : start;
      end = end < 0 ? end + dim : end;
      gint64 count;
      if (step > 0)
        {
          start = CLAMP (start, 0, dim);
          end = CLAMP (end, 0, dim);
          count = end > start ? (end - start - 1) / step + 1 : 0;
        }
      else
        {
          start = CLAMP (start, 0, dim - 1);
          end = CLAMP (end, -1, dim - 1);
          count = start > end ? (start - end - 1) / -step + 1 : 0;
        }
      if (count == 0)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                       "slice: along dim %" G_GINT64_FORMAT " (%" G_GINT64_FORMAT " values), "
                       "start %s, end %s and step %" G_GINT64_FORMAT " take nothing; empty "
                       "tensors are not supported", axis, dim, starts[i], ends[i], step);
          return FALSE;
        }
      plan->first[axis] = start;
      plan->step[axis] = step;
      plan->count[axis] = count;
    }
  return TRUE;
}

static gboolean
cnnfilt_slice_validate (CnnfiltOp *op, GError **error)
{
  SlicePlan plan;
  return slice_plan (op, NULL, &plan, error);
}

static gboolean
cnnfilt_slice_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                     CnnfiltShape *output, GError **error)
{
  SlicePlan plan;
  if (!slice_plan (op, &inputs[0], &plan, error))
    return FALSE;
  *output = (CnnfiltShape) { plan.count[0], plan.count[1], plan.count[2], plan.count[3] };
  return TRUE;
}

/* Where the first value read lies in @in's memory, and for each output dim
 * how far apart (negative: backwards) the values it reads lie. */
static gsize
slice_strides (const CnnfiltShape *in, const SlicePlan *plan, gssize strides[4])
{
  const guint d[4] = { in->n, in->c, in->h, in->w };
  gssize own = 1;
  gsize base = 0;
  for (gint k = 3; k >= 0; k--)
    {
      base += plan->first[k] * own;
      strides[k] = plan->step[k] * own;
      own *= d[k];
    }
  return base;
}

static gboolean
cnnfilt_slice_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                   guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltShape in, out;
  SlicePlan plan;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  cnnfilt_tensor_get_shape (output, &out);
  if (!slice_plan (op, &in, &plan, error))
    return FALSE;
  gssize s[4];
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL) + slice_strides (&in, &plan, s);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  layer_gather_strided (src, s, &out, dst, ctx->n_threads);
  return TRUE;
}

static gboolean
cnnfilt_slice_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                      guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltShape in;
  SlicePlan plan;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  if (!slice_plan (op, &in, &plan, error))
    return FALSE;
  gssize s[4];
  gsize base = slice_strides (&in, &plan, s);
  return layer_gather_strided_cl (op, ctx, inputs[0], base, s, output, error);
}

static void
cnnfilt_slice_class_init (CnnfiltSliceClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->flops_per_output = 0;
  op_class->name = "slice";
  op_class->example = "slice axes=1 starts=0 ends=d1/2";
  op_class->description = "A strided block of the input: along each axis the values from start "
                          "up to end, step apart (Python's x[start:end:step])";
  op_class->onnx_op_type = "Slice";
  /* attributes up to opset 9, constant inputs from opset 10 */
  op_class->onnx_inputs = "- starts@10- ends@10- axes@10- steps@10-";
  op_class->onnx_attributes = "starts:starts ends:ends axes:axes steps@10-:steps =RANK:rank";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_slice_validate;
  op_class->infer = cnnfilt_slice_infer;
  op_class->run = cnnfilt_slice_run;
  op_class->run_cl = cnnfilt_slice_run_cl;
  cnnfilt_op_class_install_properties (op_class, slice_props, G_N_ELEMENTS (slice_props));
}

LAYER_NO_INIT (CnnfiltSlice, cnnfilt_slice)

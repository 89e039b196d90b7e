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

#include <errno.h>
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

/* ---- Expressions of the dims --------------------------------------------- */

/* An expression being read: numbers, d0 … d3, + - * / and brackets, in 64
 * bits. With @dims NULL only its form is checked. */
typedef struct {
  const gchar *at;
  const guint *dims;
  const gchar *problem; /* what is wrong, or NULL */
  guint depth;          /* brackets and signs open, each a call deeper */
} Expr;

/* Deeper brackets are refused before they exhaust the stack. */
#define EXPR_MAX_DEPTH 64

static gint64 expr_sum (Expr *e);

static void
expr_skip_spaces (Expr *e)
{
  while (g_ascii_isspace (*e->at))
    e->at++;
}

static gint64
expr_fail (Expr *e, const gchar *problem)
{
  if (e->problem == NULL)
    e->problem = problem;
  return 0;
}

static gint64
expr_atom (Expr *e)
{
  expr_skip_spaces (e);
  if (e->problem != NULL)
    return 0;
  if ((*e->at == '(' || *e->at == '-') && e->depth >= EXPR_MAX_DEPTH)
    return expr_fail (e, "brackets and signs nest too deep");
  if (*e->at == '(')
    {
      e->at++;
      e->depth++;
      gint64 value = expr_sum (e);
      e->depth--;
      expr_skip_spaces (e);
      if (*e->at != ')')
        return expr_fail (e, "a ')' is missing");
      e->at++;
      return value;
    }
  if (g_ascii_isdigit (*e->at) || (*e->at == '-' && g_ascii_isdigit (e->at[1])))
    {
      /* the sign read with the number: −2⁶³ (INT64_MIN, "from the end
       * backwards") is a number whose magnitude is not */
      gchar *end = NULL;
      errno = 0;
      gint64 value = g_ascii_strtoll (e->at, &end, 10);
      if (errno == ERANGE)
        return expr_fail (e, "a number is out of 64-bit range");
      e->at = end;
      return value;
    }
  if (*e->at == '-')
    {
      e->at++;
      e->depth++;
      gint64 value = expr_atom (e);
      e->depth--;
      return value == G_MININT64 ? expr_fail (e, "a value is out of 64-bit range") : -value;
    }
  if (*e->at == 'd')
    {
      guint k = e->at[1] - '0';
      if (k > 3)
        return expr_fail (e, "d is followed by a dim, 0 to 3");
      e->at += 2;
      return e->dims ? e->dims[k] : 1;
    }
  return expr_fail (e, "expected a number, d0 to d3, '-' or '('");
}

static gint64
expr_product (Expr *e)
{
  gint64 value = expr_atom (e);
  for (;;)
    {
      expr_skip_spaces (e);
      gchar op = *e->at;
      if (e->problem != NULL || (op != '*' && op != '/'))
        return value;
      e->at++;
      gint64 right = expr_atom (e), result = 0;
      if (op == '*' && __builtin_mul_overflow (value, right, &result))
        return expr_fail (e, "a product is out of 64-bit range");
      if (op == '/')
        {
          if (right == 0 && e->dims != NULL)
            return expr_fail (e, "it divides by 0");
          /* C's division rounds toward zero, as ONNX runtimes divide integers */
          result = right == 0 || (value == G_MININT64 && right == -1) ? 0 : value / right;
        }
      value = result;
    }
}

static gint64
expr_sum (Expr *e)
{
  gint64 value = expr_product (e);
  for (;;)
    {
      expr_skip_spaces (e);
      gchar op = *e->at;
      if (e->problem != NULL || (op != '+' && op != '-'))
        return value;
      e->at++;
      gint64 right = expr_product (e), result;
      if (op == '+' ? __builtin_add_overflow (value, right, &result)
                    : __builtin_sub_overflow (value, right, &result))
        return expr_fail (e, "a sum is out of 64-bit range");
      value = result;
    }
}

/* The value of @text for an input of @dims (NULL: only checked). */
static gboolean
expr_value (const gchar *property, const gchar *text, const guint *dims, gint64 *value,
            GError **error)
{
  Expr e = { text, dims, NULL, 0 };
  *value = expr_sum (&e);
  expr_skip_spaces (&e);
  if (e.problem == NULL && *e.at != '\0')
    e.problem = "it has more after the value";
  if (e.problem != NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "slice: %s value '%s': %s", property, text, e.problem);
      return FALSE;
    }
  return TRUE;
}

/* ---- What is sliced ------------------------------------------------------ */

/* For each of the four dims, the first input value taken, the step and
 * how many are taken. */
typedef struct {
  gint64 first[4], step[4], count[4];
} SlicePlan;

/* The comma-separated values of @text: none for "". */
static GStrv
split_list (const gchar *text)
{
  GStrv parts = g_strsplit (text ? text : "", ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    g_strstrip (parts[i]);
  if (parts[0] != NULL && parts[1] == NULL && *parts[0] == '\0')
    {
      g_free (parts[0]);
      parts[0] = NULL;
    }
  return parts;
}

/* Checks the properties, and with @in (NULL: only checked) plans the
 * slice of an input of that shape. */
static gboolean
slice_plan (CnnfiltOp *op, const CnnfiltShape *in, SlicePlan *plan, GError **error)
{
  CnnfiltSlice *self = (CnnfiltSlice *) op;
  g_auto (GStrv) starts = split_list (self->starts);
  g_auto (GStrv) ends = split_list (self->ends);
  g_auto (GStrv) axes = split_list (self->axes);
  g_auto (GStrv) steps = split_list (self->steps);
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
      if (!expr_value ("starts", starts[i], in ? d : NULL, &start, error) ||
          !expr_value ("ends", ends[i], in ? d : NULL, &end, error))
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
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/slice.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in, out;
  SlicePlan plan;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  cnnfilt_tensor_get_shape (output, &out);
  if (!slice_plan (op, &in, &plan, error))
    return FALSE;
  if (cnnfilt_shape_get_size (&in) > G_MAXINT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "slice: more values than one OpenCL launch takes");
      return FALSE;
    }
  gssize s[4];
  gsize base = slice_strides (&in, &plan, s), total = cnnfilt_shape_get_size (&out);
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output),
    CNNFILT_KERNEL_INT (out.c), CNNFILT_KERNEL_INT (out.h), CNNFILT_KERNEL_INT (out.w),
    CNNFILT_KERNEL_INT (base), CNNFILT_KERNEL_INT (s[0]), CNNFILT_KERNEL_INT (s[1]),
    CNNFILT_KERNEL_INT (s[2]), CNNFILT_KERNEL_INT (s[3]), CNNFILT_KERNEL_INT (total),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "slice", 1, { total } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
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

/* cnnfilt-onnx-patterns.c: subgraphs imported as one op
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Exporters write some functions as several nodes: PyTorch writes SiLU as
 * x·Sigmoid(x), GELU as x·(1 + Erf(x/√2))·0.5, HardSwish before opset 14
 * as x·HardSigmoid(x), LayerNorm before opset 17 as nine nodes, and
 * ShuffleNet's channel shuffle as a Reshape to rank 5, a Transpose and a
 * Reshape back, which the graph's four dims cannot hold at all, and
 * `x[:, k:k+1]` written as x[:, k] and an Unsqueeze (Inception-v3's
 * transform_input) as a Gather of one index, whose output has a dim less,
 * and nn.Linear on the last dim as a MatMul and an Add, where one op that
 * packs its weights once and takes the bias and activation in as it writes
 * is faster. Each entry of `patterns` below writes such a subgraph as an
 * expression and names the op that computes it.
 *
 * Before any node is imported, the expressions are matched over the
 * decoded nodes, from the last node up, so that a pattern holding another
 * (layer-norm with its scale and bias) wins over the smaller one: each
 * node's op_type, its attributes, its inputs in turn (those of Add and Mul
 * either way round), and the constants it asks for, to a relative 1e-6.
 * Every value computed inside the subgraph must be read only inside it:
 * not by another node, not as a graph output. When the import reaches the
 * subgraph's last node, where the values before it are known, the pattern's
 * own check runs (layer-norm's axes and parameters, the shapes of a
 * shuffle) and sets the op's properties; the subgraph then becomes one
 * graph node named after its last node. A subgraph that fails the check is
 * imported node by node, as if nothing had matched.
 *
 * An expression is a term:
 *   Op[NAME=V,V NAME?=V NAME=$KEY](TERM, …)
 *           a node of that op_type with exactly these inputs; every
 *           attribute it has must be listed: with these values, `?=` also
 *           when it is left out (the value being ONNX's default), `=$KEY`
 *           with any value, kept for the check and the same wherever KEY
 *           recurs
 *   x       any value, the same wherever the name recurs: the op's input
 *   0.5     a constant (an initializer or a Constant node) of one value
 *   $KEY    a constant, kept for the check
 *   @KEY    a shape: a constant, or one folded at import (Shape, Gather,
 *           Concat …), kept for the check
 * A subterm written twice is matched twice, by the same node or by two that
 * compute the same: layer-norm's x − mean is read by the Pow and the Div.
 */
#include "cnnfilt-onnx-private.h"
#include "cnnfilt-registry.h"

#include <math.h>
#include <string.h>

/* How close a constant must be to the value the pattern names: a few
 * float32 ulps (√2 is written 1.4142135381698608). */
#define RELATIVE_TOLERANCE 1e-6

/* ---- The patterns ------------------------------------------------------- */

typedef struct _Fusing Fusing;

typedef struct {
  const gchar *name;       /* for messages */
  const gchar *op;         /* the op that computes the subgraph */
  const gchar *expression;
  /* Checks what only values show and sets the op's properties; FALSE
   * (with *@why) where the subgraph is not what the pattern computes. */
  gboolean (*apply) (Fusing *fusing, CnnfiltOp *op, const gchar **why);
} Pattern;

static gboolean apply_layer_norm (Fusing *fusing, CnnfiltOp *op, const gchar **why);
static gboolean apply_channel_shuffle (Fusing *fusing, CnnfiltOp *op, const gchar **why);
static gboolean apply_take (Fusing *fusing, CnnfiltOp *op, const gchar **why);
static gboolean apply_linear (Fusing *fusing, CnnfiltOp *op, const gchar **why);

/* x/√2 as PyTorch's GELU writes it, or multiplied by 1/√2 */
#define ERF_TERM(scale) "Add(Erf(" scale "), 1)"
#define GELU_DIV ERF_TERM ("Div(x, 1.4142135623730951)")
#define GELU_MUL ERF_TERM ("Mul(x, 0.7071067811865476)")

/* (x − mean)/√(variance + epsilon) over the dims of axes */
#define LN_CENTRED "Sub(x, ReduceMean[axes=$axes keepdims?=1](x))"
#define LN_NORMALIZED                                                                  \
  "Div(" LN_CENTRED ", Sqrt(Add(ReduceMean[axes=$axes keepdims?=1](Pow(" LN_CENTRED ", 2)), " \
  "$epsilon)))"

static const Pattern patterns[] = {
  { "SiLU", "silu", "Mul(x, Sigmoid(x))", NULL },
  /* nn.GELU: x·(1 + erf(x/√2)), then ·0.5; also 0.5 first, or on the sum */
  { "GELU", "gelu", "Mul(Mul(x, " GELU_DIV "), 0.5)", NULL },
  { "GELU", "gelu", "Mul(Mul(x, " GELU_MUL "), 0.5)", NULL },
  { "GELU", "gelu", "Mul(Mul(x, 0.5), " GELU_DIV ")", NULL },
  { "GELU", "gelu", "Mul(Mul(x, 0.5), " GELU_MUL ")", NULL },
  { "GELU", "gelu", "Mul(x, Mul(" GELU_DIV ", 0.5))", NULL },
  { "GELU", "gelu", "Mul(x, Mul(" GELU_MUL ", 0.5))", NULL },
  /* nn.Hardswish before opset 14 */
  { "HardSwish", "hard-swish", "Mul(x, HardSigmoid[alpha=0.16666666666666666 beta?=0.5](x))",
    NULL },
  /* nn.LayerNorm before opset 17, with and without its affine parameters */
  { "LayerNorm", "layer-norm", "Add(Mul(" LN_NORMALIZED ", $scale), $bias)", apply_layer_norm },
  { "LayerNorm", "layer-norm", "Mul(" LN_NORMALIZED ", $scale)", apply_layer_norm },
  { "LayerNorm", "layer-norm", LN_NORMALIZED, apply_layer_norm },
  /* torchvision's channel_shuffle: (n, g, c/g, h, w), swap g and c/g, back */
  { "channel shuffle", "channel-shuffle",
    "Reshape[allowzero?=0](Transpose[perm=0,2,1,3,4](Reshape[allowzero?=0](x, @grouped)), "
    "@shuffled)", apply_channel_shuffle },
  /* x[:, k] then unsqueezed at the same axis: x[:, k:k+1]; Unsqueeze's
   * axes an attribute before opset 13, an input since */
  { "Gather of one index, unsqueezed", "slice",
    "Unsqueeze[axes=$unsqueezed](Gather[axis=$axis](x, $index))", apply_take },
  { "Gather of one index, unsqueezed", "slice",
    "Unsqueeze(Gather[axis=$axis](x, $index), @unsqueezed)", apply_take },
  /* nn.Linear on the last dim of tokens or channels-last values (ViT's,
   * ConvNeXt's): a MatMul by constant weights, and its bias; one op, which
   * takes a following activation in as it writes */
  { "Linear", "linear", "Add(MatMul(x, $weights), $bias)", apply_linear },
  { "Linear", "linear", "MatMul(x, $weights)", apply_linear },
};

/* Ops whose two inputs may come either way round. */
static gboolean
is_commutative (const gchar *op_type)
{
  return g_str_equal (op_type, "Add") || g_str_equal (op_type, "Mul");
}

/* ---- Expressions -------------------------------------------------------- */

typedef enum { TERM_NODE, TERM_VARIABLE, TERM_NUMBER, TERM_CONSTANT, TERM_SHAPE } TermKind;

typedef struct {
  gchar *name;
  gboolean optional;  /* `?=`: the attribute may be left out */
  gchar *capture;     /* `=$KEY`, else NULL */
  GArray *values;     /* gdouble */
} AttributeTerm;

typedef struct _Term {
  TermKind kind;
  gchar *name;           /* op_type, variable or capture key */
  gdouble number;
  GPtrArray *inputs;     /* Term, of a node */
  GPtrArray *attributes; /* AttributeTerm, of a node */
} Term;

static void
attribute_term_free (gpointer data)
{
  AttributeTerm *attribute = data;
  g_free (attribute->name);
  g_free (attribute->capture);
  if (attribute->values)
    g_array_unref (attribute->values);
  g_free (attribute);
}

static void
term_free (gpointer data)
{
  Term *term = data;
  if (term == NULL)
    return;
  g_free (term->name);
  if (term->inputs)
    g_ptr_array_unref (term->inputs);
  if (term->attributes)
    g_ptr_array_unref (term->attributes);
  g_free (term);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Term, term_free)

static gchar *
parse_name (const gchar **p)
{
  const gchar *start = *p;
  while (g_ascii_isalnum (**p) || **p == '_')
    (*p)++;
  return *p > start ? g_strndup (start, *p - start) : NULL;
}

static gboolean
parse_number (const gchar **p, gdouble *number)
{
  gchar *end = NULL;
  *number = g_ascii_strtod (*p, &end);
  if (end == *p)
    return FALSE;
  *p = end;
  return TRUE;
}

/* NAME=V,V or NAME?=V or NAME=$KEY, up to a space or ']'. */
static AttributeTerm *
parse_attribute (const gchar **p)
{
  AttributeTerm *attribute = g_new0 (AttributeTerm, 1);
  attribute->name = parse_name (p);
  if (**p == '?')
    {
      attribute->optional = TRUE;
      (*p)++;
    }
  if (attribute->name == NULL || *(*p)++ != '=')
    {
      attribute_term_free (attribute);
      return NULL;
    }
  if (**p == '$')
    {
      (*p)++;
      if ((attribute->capture = parse_name (p)) == NULL)
        {
          attribute_term_free (attribute);
          return NULL;
        }
      return attribute;
    }
  attribute->values = g_array_new (FALSE, FALSE, sizeof (gdouble));
  for (;;)
    {
      gdouble value;
      if (!parse_number (p, &value))
        {
          attribute_term_free (attribute);
          return NULL;
        }
      g_array_append_val (attribute->values, value);
      if (**p != ',')
        return attribute;
      (*p)++;
    }
}

static Term *
parse_term (const gchar **p)
{
  while (**p == ' ')
    (*p)++;
  g_autoptr (Term) term = g_new0 (Term, 1);
  if (**p == '$' || **p == '@')
    {
      term->kind = *(*p)++ == '$' ? TERM_CONSTANT : TERM_SHAPE;
      term->name = parse_name (p);
      return term->name ? g_steal_pointer (&term) : NULL;
    }
  if (g_ascii_isdigit (**p) || **p == '-' || **p == '.')
    {
      term->kind = TERM_NUMBER;
      return parse_number (p, &term->number) ? g_steal_pointer (&term) : NULL;
    }
  if ((term->name = parse_name (p)) == NULL)
    return NULL;
  if (!g_ascii_isupper (*term->name))
    {
      term->kind = TERM_VARIABLE;
      return g_steal_pointer (&term);
    }
  term->kind = TERM_NODE;
  term->inputs = g_ptr_array_new_with_free_func (term_free);
  term->attributes = g_ptr_array_new_with_free_func (attribute_term_free);
  if (**p == '[')
    {
      (*p)++;
      while (**p != ']')
        {
          while (**p == ' ')
            (*p)++;
          AttributeTerm *attribute = parse_attribute (p);
          if (attribute == NULL)
            return NULL;
          g_ptr_array_add (term->attributes, attribute);
          if (**p != ' ' && **p != ']')
            return NULL;
        }
      (*p)++;
    }
  if (*(*p)++ != '(')
    return NULL;
  for (;;)
    {
      Term *input = parse_term (p);
      if (input == NULL)
        return NULL;
      g_ptr_array_add (term->inputs, input);
      while (**p == ' ')
        (*p)++;
      if (**p == ')')
        {
          (*p)++;
          return g_steal_pointer (&term);
        }
      if (*(*p)++ != ',')
        return NULL;
    }
}

/* The pattern's expression, parsed; NULL (and a critical warning: the
 * table above is wrong) where it does not parse. */
static Term *
parse_expression (const Pattern *pattern)
{
  const gchar *p = pattern->expression;
  Term *term = parse_term (&p);
  if (term == NULL || *p != '\0' || term->kind != TERM_NODE)
    {
      g_critical ("ONNX pattern %s (%s): malformed expression near '%s'", pattern->name,
                  pattern->op, p);
      term_free (term);
      return NULL;
    }
  return term;
}

/* ---- Matching the nodes ------------------------------------------------- */

/* What a variable, capture or number of the expression stands for. */
typedef struct {
  TermKind kind;                          /* TERM_NODE for a captured attribute */
  gchar *key;                             /* NULL for a number */
  const gchar *value;                     /* the ONNX value, or NULL */
  const Onnx__AttributeProto *attribute;  /* a captured attribute, or NULL */
} Binding;

struct _PatternMatch {
  const Pattern *pattern;
  guint root;
  GArray *members;  /* guint node indices, ascending; the root last */
  GArray *bindings; /* Binding */
};

static void
binding_clear (gpointer data)
{
  g_free (((Binding *) data)->key);
}

void
pattern_match_free (gpointer data)
{
  PatternMatch *match = data;
  g_array_unref (match->members);
  g_array_unref (match->bindings);
  g_free (match);
}

typedef struct {
  Importer *imp;
  const Onnx__GraphProto *graph;
  GHashTable *producer;    /* value name -> index + 1 of the node whose first output it is */
  GHashTable *initializer; /* name -> Onnx__TensorProto * */
  GHashTable *readers;     /* value name -> GArray of node indices */
  GHashTable *outputs;     /* graph output names */
  GArray *bindings;        /* Binding: the match so far */
  GArray *members;         /* guint */
} Matcher;

static gboolean match_value (Matcher *m, const Term *term, const gchar *value);

/* The constant that @value is, following Identity: an initializer, or
 * the tensor of a Constant node's `value` attribute; NULL otherwise. */
static const Onnx__TensorProto *
constant_of (Matcher *m, const gchar *value)
{
  for (guint hops = 0; hops < 8; hops++)
    {
      const Onnx__TensorProto *tensor = g_hash_table_lookup (m->initializer, value);
      if (tensor != NULL)
        return tensor;
      guint index = GPOINTER_TO_UINT (g_hash_table_lookup (m->producer, value));
      if (index == 0)
        return NULL;
      const Onnx__NodeProto *proto = m->graph->node[index - 1];
      const gchar *op_type = nonnull (proto->op_type);
      if (g_str_equal (op_type, "Identity") && proto->n_input == 1)
        value = proto->input[0];
      else if (g_str_equal (op_type, "Constant") && proto->n_attribute == 1 &&
               g_strcmp0 (proto->attribute[0]->name, "value") == 0)
        return proto->attribute[0]->t;
      else
        return NULL;
    }
  return NULL;
}

static gboolean
close_to (gdouble got, gdouble want)
{
  return fabs (got - want) <= RELATIVE_TOLERANCE * fabs (want);
}

/* Whether @value is a constant holding one number close to @want. */
static gboolean
is_number (Matcher *m, const gchar *value, gdouble want)
{
  const Onnx__TensorProto *tensor = constant_of (m, value);
  g_autoptr (GError) ignored = NULL;
  if (tensor == NULL || !check_tensor (m->imp, tensor, "a constant", &ignored) ||
      tensor_n_elements (tensor) != 1)
    return FALSE;
  g_autoptr (GArray) numbers = tensor_numbers (m->imp, tensor);
  return close_to (g_array_index (numbers, Number, 0).f, want);
}

static Binding *
find_binding (GArray *bindings, const gchar *key)
{
  for (guint i = 0; i < bindings->len; i++)
    {
      Binding *binding = &g_array_index (bindings, Binding, i);
      if (binding->key != NULL && g_str_equal (binding->key, key))
        return binding;
    }
  return NULL;
}

static void
bind (Matcher *m, TermKind kind, const gchar *key, const gchar *value,
      const Onnx__AttributeProto *attribute)
{
  Binding binding = { kind, g_strdup (key), value, attribute };
  g_array_append_val (m->bindings, binding);
}

/* The values of a number or number-list attribute; NULL for others. */
static GArray *
attribute_values (const Onnx__AttributeProto *attribute)
{
  GArray *values = g_array_new (FALSE, FALSE, sizeof (gdouble));
  switch (attribute->type)
    {
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
      g_array_append_val (values, (gdouble) { attribute->i });
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
      g_array_append_val (values, (gdouble) { attribute->f });
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
      for (gsize i = 0; i < attribute->n_ints; i++)
        g_array_append_val (values, (gdouble) { attribute->ints[i] });
      break;
    case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
      for (gsize i = 0; i < attribute->n_floats; i++)
        g_array_append_val (values, (gdouble) { attribute->floats[i] });
      break;
    default:
      g_array_unref (values);
      return NULL;
    }
  return values;
}

static gboolean
same_values (GArray *a, GArray *b, gboolean close)
{
  if (a == NULL || b == NULL || a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    {
      gdouble x = g_array_index (a, gdouble, i), y = g_array_index (b, gdouble, i);
      if (close ? !close_to (x, y) : x != y)
        return FALSE;
    }
  return TRUE;
}

/* Every attribute of @proto listed by @term with its value, every one
 * @term lists without `?=` present. */
static gboolean
match_attributes (Matcher *m, const Term *term, const Onnx__NodeProto *proto)
{
  for (gsize i = 0; i < proto->n_attribute; i++)
    {
      const Onnx__AttributeProto *given = proto->attribute[i];
      const AttributeTerm *wanted = NULL;
      for (guint k = 0; k < term->attributes->len && wanted == NULL; k++)
        if (g_strcmp0 (((AttributeTerm *) term->attributes->pdata[k])->name, given->name) == 0)
          wanted = term->attributes->pdata[k];
      if (wanted == NULL)
        return FALSE;
      g_autoptr (GArray) values = attribute_values (given);
      if (wanted->capture == NULL)
        {
          if (!same_values (values, wanted->values, TRUE))
            return FALSE;
          continue;
        }
      Binding *earlier = find_binding (m->bindings, wanted->capture);
      if (earlier == NULL)
        bind (m, TERM_NODE, wanted->capture, NULL, given);
      else if (earlier->attribute == NULL)
        return FALSE;
      else
        {
          g_autoptr (GArray) earlier_values = attribute_values (earlier->attribute);
          if (!same_values (values, earlier_values, FALSE))
            return FALSE;
        }
    }
  for (guint k = 0; k < term->attributes->len; k++)
    {
      const AttributeTerm *wanted = term->attributes->pdata[k];
      gboolean present = FALSE;
      for (gsize i = 0; i < proto->n_attribute && !present; i++)
        present = g_strcmp0 (proto->attribute[i]->name, wanted->name) == 0;
      if (!present && !wanted->optional)
        return FALSE;
    }
  return TRUE;
}

/* Undoes what a failed attempt bound. */
static void
rewind_to (Matcher *m, guint n_bindings, guint n_members)
{
  g_array_set_size (m->bindings, n_bindings);
  g_array_set_size (m->members, n_members);
}

static gboolean
match_inputs (Matcher *m, const Term *term, const Onnx__NodeProto *proto, gboolean swapped)
{
  for (guint i = 0; i < term->inputs->len; i++)
    if (!match_value (m, term->inputs->pdata[i], proto->input[swapped ? 1 - i : i]))
      return FALSE;
  return TRUE;
}

static gboolean
match_node (Matcher *m, const Term *term, guint index)
{
  const Onnx__NodeProto *proto = m->graph->node[index];
  if (m->imp->match_of[index] != NULL || !g_str_equal (nonnull (proto->op_type), term->name) ||
      proto->n_input != term->inputs->len || !match_attributes (m, term, proto))
    return FALSE;
  gboolean seen = FALSE; /* matched before, by a subterm written twice */
  for (guint i = 0; i < m->members->len && !seen; i++)
    seen = g_array_index (m->members, guint, i) == index;
  if (!seen)
    g_array_append_val (m->members, index);
  guint n_bindings = m->bindings->len, n_members = m->members->len;
  if (match_inputs (m, term, proto, FALSE))
    return TRUE;
  rewind_to (m, n_bindings, n_members);
  return term->inputs->len == 2 && is_commutative (term->name) && match_inputs (m, term, proto, TRUE);
}

static gboolean
match_value (Matcher *m, const Term *term, const gchar *value)
{
  if (value == NULL || *value == '\0')
    return FALSE;
  switch (term->kind)
    {
    case TERM_VARIABLE:
    case TERM_CONSTANT:
    case TERM_SHAPE:
      {
        Binding *earlier = find_binding (m->bindings, term->name);
        if (earlier != NULL)
          return earlier->value != NULL && g_str_equal (earlier->value, value);
        if (term->kind == TERM_CONSTANT && constant_of (m, value) == NULL)
          return FALSE;
        bind (m, term->kind, term->name, value, NULL);
        return TRUE;
      }
    case TERM_NUMBER:
      if (!is_number (m, value, term->number))
        return FALSE;
      bind (m, TERM_NUMBER, NULL, value, NULL);
      return TRUE;
    case TERM_NODE:
    default:
      {
        guint index = GPOINTER_TO_UINT (g_hash_table_lookup (m->producer, value));
        return index > 0 && match_node (m, term, index - 1);
      }
    }
}

/* Every value computed inside the match is read only inside it, and only
 * the root's first output outside; every member comes before the root. */
static gboolean
is_closed (Matcher *m, guint root)
{
  for (guint i = 0; i < m->members->len; i++)
    {
      guint index = g_array_index (m->members, guint, i);
      const Onnx__NodeProto *proto = m->graph->node[index];
      if (index > root)
        return FALSE;
      for (gsize k = 0; k < proto->n_output; k++)
        {
          const gchar *output = proto->output[k];
          if (*output == '\0' || (index == root && k == 0))
            continue;
          if (k > 0 || g_hash_table_contains (m->outputs, output))
            {
              if (g_hash_table_contains (m->imp->consumed, output))
                return FALSE;
              continue;
            }
          GArray *readers = g_hash_table_lookup (m->readers, output);
          for (guint r = 0; readers != NULL && r < readers->len; r++)
            {
              gboolean inside = FALSE;
              for (guint j = 0; j < m->members->len && !inside; j++)
                inside = g_array_index (m->members, guint, j) == g_array_index (readers, guint, r);
              if (!inside)
                return FALSE;
            }
        }
    }
  return TRUE;
}

static gint
compare_indices (gconstpointer a, gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

static void
matcher_init (Matcher *m, Importer *imp)
{
  const Onnx__GraphProto *graph = imp->model->graph;
  m->imp = imp;
  m->graph = graph;
  m->producer = g_hash_table_new (g_str_hash, g_str_equal);
  m->initializer = g_hash_table_new (g_str_hash, g_str_equal);
  m->readers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) g_array_unref);
  m->outputs = g_hash_table_new (g_str_hash, g_str_equal);
  m->bindings = g_array_new (FALSE, FALSE, sizeof (Binding));
  g_array_set_clear_func (m->bindings, binding_clear);
  m->members = g_array_new (FALSE, FALSE, sizeof (guint));
  for (gsize i = 0; i < graph->n_initializer; i++)
    if (graph->initializer[i]->name)
      g_hash_table_insert (m->initializer, graph->initializer[i]->name, graph->initializer[i]);
  for (gsize i = 0; i < graph->n_output; i++)
    if (graph->output[i]->name)
      g_hash_table_add (m->outputs, graph->output[i]->name);
  /* a value produced twice is no one node's: the import refuses the model */
  g_autoptr (GHashTable) twice = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < graph->n_node; i++)
    {
      const Onnx__NodeProto *proto = graph->node[i];
      for (gsize k = 0; k < proto->n_output; k++)
        if (*proto->output[k] != '\0' &&
            (g_hash_table_contains (m->producer, proto->output[k]) ||
             g_hash_table_contains (m->initializer, proto->output[k])))
          g_hash_table_add (twice, proto->output[k]);
        else if (k == 0 && *proto->output[k] != '\0')
          g_hash_table_insert (m->producer, proto->output[k], GUINT_TO_POINTER (i + 1));
        else if (*proto->output[k] != '\0')
          g_hash_table_insert (m->producer, proto->output[k], GUINT_TO_POINTER (0));
      for (gsize k = 0; k < proto->n_input; k++)
        {
          GArray *readers = g_hash_table_lookup (m->readers, proto->input[k]);
          if (readers == NULL)
            {
              readers = g_array_new (FALSE, FALSE, sizeof (guint));
              g_hash_table_insert (m->readers, proto->input[k], readers);
            }
          g_array_append_val (readers, i);
        }
    }
  GHashTableIter iter;
  gpointer name;
  g_hash_table_iter_init (&iter, twice);
  while (g_hash_table_iter_next (&iter, &name, NULL))
    g_hash_table_insert (m->producer, name, GUINT_TO_POINTER (0));
}

static void
matcher_clear (Matcher *m)
{
  g_hash_table_unref (m->producer);
  g_hash_table_unref (m->initializer);
  g_hash_table_unref (m->readers);
  g_hash_table_unref (m->outputs);
  g_array_unref (m->bindings);
  g_array_unref (m->members);
}

void
find_patterns (Importer *imp)
{
  const Onnx__GraphProto *graph = imp->model->graph;
  imp->matches = g_ptr_array_new_with_free_func (pattern_match_free);
  imp->match_of = g_new0 (PatternMatch *, MAX (graph->n_node, 1));
  g_autoptr (GPtrArray) expressions = g_ptr_array_new_with_free_func (term_free);
  for (guint p = 0; p < G_N_ELEMENTS (patterns); p++)
    g_ptr_array_add (expressions, cnnfilt_registry_lookup (patterns[p].op) != G_TYPE_INVALID
                                    ? parse_expression (&patterns[p]) : NULL);
  Matcher m;
  matcher_init (&m, imp);
  for (guint root = graph->n_node; root-- > 0;)
    for (guint p = 0; p < G_N_ELEMENTS (patterns) && imp->match_of[root] == NULL; p++)
      {
        const Term *expression = expressions->pdata[p];
        rewind_to (&m, 0, 0);
        if (expression == NULL || graph->node[root]->n_output == 0 ||
            *graph->node[root]->output[0] == '\0' || !match_node (&m, expression, root) ||
            !is_closed (&m, root))
          continue;
        PatternMatch *match = g_new0 (PatternMatch, 1);
        match->pattern = &patterns[p];
        match->root = root;
        match->members = g_array_copy (m.members);
        g_array_sort (match->members, compare_indices);
        match->bindings = g_array_new (FALSE, FALSE, sizeof (Binding));
        g_array_set_clear_func (match->bindings, binding_clear);
        for (guint i = 0; i < m.bindings->len; i++)
          {
            Binding *b = &g_array_index (m.bindings, Binding, i);
            Binding copy = { b->kind, g_strdup (b->key), b->value, b->attribute };
            g_array_append_val (match->bindings, copy);
          }
        g_ptr_array_add (imp->matches, match);
        for (guint i = 0; i < match->members->len; i++)
          imp->match_of[g_array_index (match->members, guint, i)] = match;
      }
  rewind_to (&m, 0, 0);
  matcher_clear (&m);
}

/* ---- Importing a match -------------------------------------------------- */

struct _Fusing {
  Importer *imp;
  const PatternMatch *match;
  Value *input; /* the value of x, the op's input */
};

/* The value bound to $@key, or NULL where the pattern has none. */
static Value *
captured (Fusing *fusing, const gchar *key)
{
  Binding *binding = find_binding (fusing->match->bindings, key);
  return binding && binding->value ? g_hash_table_lookup (fusing->imp->values, binding->value)
                                   : NULL;
}

/* A float32 constant for a property, its dims aligned to the input's
 * rank; NULL (and *@why) where it is not one. */
static CnnfiltTensor *
captured_tensor (Fusing *fusing, Value *value, const gchar **why)
{
  g_autoptr (GError) ignored = NULL;
  CnnfiltTensor *tensor = NULL;
  if (value->constant == NULL || value->constant->n_dims > (gsize) fusing->input->rank ||
      (tensor = tensor_to_cnnfilt (fusing->imp, value->constant, fusing->input->rank, "", &ignored)) == NULL)
    *why = "a parameter is not a float32 constant of at most the input's rank";
  return tensor;
}

/* LayerNorm: both means over the same last dims of x, from axis k on;
 * epsilon one number; scale and bias constants that broadcast over those
 * dims only (1 before k), or ones and none where the graph has none. */
static gboolean
apply_layer_norm (Fusing *fusing, CnnfiltOp *op, const gchar **why)
{
  gint rank = fusing->input->rank;
  Binding *axes = find_binding (fusing->match->bindings, "axes");
  g_autoptr (GArray) values = attribute_values (axes->attribute);
  *why = "the means are not over the input's last dims";
  if (rank < 1 || values == NULL || values->len == 0 || values->len > (guint) rank)
    return FALSE;
  gboolean seen[MAX_RANK] = { FALSE };
  for (guint i = 0; i < values->len; i++)
    {
      gdouble axis = g_array_index (values, gdouble, i);
      axis = axis < 0 ? axis + rank : axis;
      if (axis < rank - (gint) values->len || axis >= rank || seen[(gint) axis])
        return FALSE;
      seen[(gint) axis] = TRUE;
    }
  gint first = rank - values->len;

  Value *epsilon = captured (fusing, "epsilon");
  if (epsilon == NULL || epsilon->constant == NULL || tensor_n_elements (epsilon->constant) != 1 ||
      epsilon->constant->n_dims > (gsize) rank)
    {
      *why = "epsilon is not one constant number";
      return FALSE;
    }
  g_autoptr (GArray) eps = tensor_numbers (fusing->imp, epsilon->constant);
  gdouble e = g_array_index (eps, Number, 0).f;
  if (!(e >= 0 && e <= 1))
    {
      *why = "epsilon is not between 0 and 1";
      return FALSE;
    }

  g_autoptr (CnnfiltTensor) scale = NULL, bias = NULL;
  Value *scale_value = captured (fusing, "scale"), *bias_value = captured (fusing, "bias");
  if ((scale_value && (scale = captured_tensor (fusing, scale_value, why)) == NULL) ||
      (bias_value && (bias = captured_tensor (fusing, bias_value, why)) == NULL))
    return FALSE;
  for (guint k = 0; k < 2; k++)
    {
      CnnfiltTensor *param = k ? bias : scale;
      CnnfiltShape s;
      if (param == NULL)
        continue;
      cnnfilt_tensor_get_shape (param, &s);
      const guint dims[4] = { s.n, s.c, s.h, s.w };
      for (gint d = 0; d < first; d++)
        if (dims[d] != 1)
          {
            *why = "the scale or bias varies along a dim that is not normalized";
            return FALSE;
          }
    }
  if (scale == NULL && (scale = cnnfilt_tensor_new (1, 1, 1, 1, NULL)) != NULL)
    *(gfloat *) cnnfilt_tensor_get_data (scale, NULL) = 1.0f;
  g_object_set (op, "axis", first, "epsilon", (gfloat) e, "scale", scale, "bias", bias, NULL);
  return TRUE;
}

/* The elements of a folded shape or of a 1-D integer constant. */
static GArray *
shape_of (Fusing *fusing, Value *value)
{
  if (value == NULL)
    return NULL;
  if (value->folded != NULL)
    return value->rank == 1 ? g_array_ref (value->folded) : NULL;
  const Onnx__TensorProto *t = value->constant;
  if (t == NULL || t->n_dims != 1 ||
      (t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT64 &&
       t->data_type != ONNX__TENSOR_PROTO__DATA_TYPE__INT32))
    return NULL;
  g_autoptr (GArray) numbers = tensor_numbers (fusing->imp, t);
  GArray *elems = g_array_new (FALSE, TRUE, sizeof (ShapeElem));
  for (guint i = 0; i < numbers->len; i++)
    {
      ShapeElem e = { g_array_index (numbers, Number, i).i, NULL, 0, 1 };
      g_array_append_val (elems, e);
    }
  return elems;
}

/* Whether @e is dim @dim of the shuffled input, divided by @divisor: that
 * dim itself, or a number, which must equal what the input's dims or
 * earlier numbers (@claimed, -1 where none yet) say. */
static gboolean
is_input_dim (Fusing *fusing, const ShapeElem *e, gint dim, gint64 divisor, gint64 *claimed)
{
  if (e->of != NULL)
    return e->of == fusing->input && e->expr == NULL && e->dim == dim && e->divisor == divisor;
  if (e->number < 1)
    return FALSE;
  gint64 whole = e->number * divisor;
  if (fusing->input->dims[dim] > 0 && fusing->input->dims[dim] != whole)
    return FALSE;
  if (claimed[dim] > 0 && claimed[dim] != whole)
    return FALSE;
  claimed[dim] = whole;
  return TRUE;
}

/* Whether a Reshape target @elems holds, in order, the input's dims
 * @dims (-1: a place skipped) divided by @divisors: each its dim, Reshape's
 * 0 (keep) in the batch's place, the only place it keeps a dim of the
 * input, or -1 (whatever is left) once at most. */
static gboolean
shape_fits (Fusing *fusing, GArray *elems, const gint *dims, const gint64 *divisors,
            gint64 *claimed)
{
  guint inferred = 0;
  for (guint i = 0; i < elems->len; i++)
    {
      const ShapeElem *e = &g_array_index (elems, ShapeElem, i);
      if (dims[i] < 0)
        continue;
      if (e->of == NULL && e->number == -1)
        inferred++;
      else if (!(i == 0 && e->of == NULL && e->number == 0) &&
               !is_input_dim (fusing, e, dims[i], divisors[i], claimed))
        return FALSE;
    }
  return inferred <= 1;
}

/* A channel shuffle: x (n, c, h, w) reshaped to (n, g, c/g, h, w), the
 * two group dims swapped, reshaped back to (n, c, h, w). Each size is the
 * input's dim as folded at import, or a number: the dim the input is
 * declared with, and the same number wherever a dim recurs. */
static gboolean
apply_channel_shuffle (Fusing *fusing, CnnfiltOp *op, const gchar **why)
{
  g_autoptr (GArray) grouped = shape_of (fusing, captured (fusing, "grouped"));
  g_autoptr (GArray) shuffled = shape_of (fusing, captured (fusing, "shuffled"));
  *why = "the reshapes do not split the channels of a 4-D input in groups and join them back";
  if (fusing->input->rank != 4 || grouped == NULL || shuffled == NULL || grouped->len != 5 ||
      shuffled->len != 4)
    return FALSE;
  const ShapeElem *g = &g_array_index (grouped, ShapeElem, 1);
  if (g->of != NULL || g->number < 1 || g->number > G_MAXINT)
    return FALSE;
  gint64 claimed[MAX_RANK] = { -1, -1, -1, -1 };
  static const gint grouped_dims[5] = { 0, -1, 1, 2, 3 }, shuffled_dims[4] = { 0, 1, 2, 3 };
  const gint64 grouped_divisors[5] = { 1, 1, g->number, 1, 1 }, ones[4] = { 1, 1, 1, 1 };
  if (!shape_fits (fusing, grouped, grouped_dims, grouped_divisors, claimed) ||
      !shape_fits (fusing, shuffled, shuffled_dims, ones, claimed))
    return FALSE;
  g_object_set (op, "groups", (gint) g->number, NULL);
  return TRUE;
}

/* Gather's index is one number, and the Unsqueeze puts back the dim the
 * Gather took: a slice of one along that axis. */
static gboolean
apply_take (Fusing *fusing, CnnfiltOp *op, const gchar **why)
{
  gint rank = fusing->input->rank;
  Binding *axis_binding = find_binding (fusing->match->bindings, "axis");
  g_autoptr (GArray) axis_values = attribute_values (axis_binding->attribute);
  Binding *unsqueezed_binding = find_binding (fusing->match->bindings, "unsqueezed");
  g_autoptr (GArray) unsqueezed = NULL;
  if (unsqueezed_binding->attribute != NULL)
    unsqueezed = attribute_values (unsqueezed_binding->attribute);
  else
    {
      g_autoptr (GArray) shape = shape_of (fusing, captured (fusing, "unsqueezed"));
      if (shape != NULL)
        {
          unsqueezed = g_array_new (FALSE, FALSE, sizeof (gdouble));
          for (guint i = 0; i < shape->len; i++)
            {
              const ShapeElem *e = &g_array_index (shape, ShapeElem, i);
              gdouble v = e->of != NULL ? G_MAXINT : (gdouble) e->number;
              g_array_append_val (unsqueezed, v);
            }
        }
    }
  Value *index = captured (fusing, "index");
  *why = "the Gather does not take one index of a known dim, or the Unsqueeze does not put "
         "that dim back";
  if (rank < 1 || axis_values == NULL || axis_values->len != 1 || unsqueezed == NULL ||
      unsqueezed->len != 1 || index == NULL || index->constant == NULL ||
      index->constant->n_dims != 0 || tensor_n_elements (index->constant) != 1)
    return FALSE;
  gdouble axis = g_array_index (axis_values, gdouble, 0);
  gdouble back = g_array_index (unsqueezed, gdouble, 0);
  /* Gather's axis counts in the input's rank, Unsqueeze's in its output's,
   * which is the same rank again */
  axis = axis < 0 ? axis + rank : axis;
  back = back < 0 ? back + rank : back;
  if (axis < 0 || axis >= rank || back != axis)
    return FALSE;
  g_autoptr (GArray) numbers = tensor_numbers (fusing->imp, index->constant);
  if (numbers == NULL || numbers->len != 1 || !g_array_index (numbers, Number, 0).is_int)
    return FALSE;
  gint64 k = g_array_index (numbers, Number, 0).i, dim = fusing->input->dims[(gint) axis];
  /* an index out of range is Gather's error: left to the node-by-node
   * import, which names it */
  if (dim < 0 || k < -dim || k >= dim)
    return FALSE;
  k = k < 0 ? k + dim : k;
  g_autofree gchar *starts = g_strdup_printf ("%" G_GINT64_FORMAT, k);
  g_autofree gchar *ends = g_strdup_printf ("%" G_GINT64_FORMAT, k + 1);
  g_autofree gchar *axes = g_strdup_printf ("%d", (gint) axis);
  g_object_set (op, "starts", starts, "ends", ends, "axes", axes, "rank", rank, NULL);
  return TRUE;
}

/* MatMul(x, W) + b over x's last dim: W a float32 constant of 2 dims, K×N,
 * K that dim where it is known; b, where there is one, a constant of one
 * or N values along the last dim only, so that the Add broadcasts it over
 * the rows and nothing else. */
static gboolean
apply_linear (Fusing *fusing, CnnfiltOp *op, const gchar **why)
{
  gint rank = fusing->input->rank;
  Value *weights = captured (fusing, "weights"), *bias = captured (fusing, "bias");
  g_autoptr (GError) ignored = NULL;
  g_autoptr (CnnfiltTensor) w = NULL, b = NULL;
  *why = "the weights are not a float32 matrix whose rows match the input's last dim";
  if (rank < 1 || rank > MAX_RANK || weights == NULL || weights->constant == NULL ||
      weights->constant->n_dims != 2 ||
      (w = tensor_to_cnnfilt (fusing->imp, weights->constant, 2, "", &ignored)) == NULL)
    return FALSE;
  gint64 k = weights->constant->dims[0], n = weights->constant->dims[1];
  if (fusing->input->dims[rank - 1] >= 0 && fusing->input->dims[rank - 1] != k)
    return FALSE;
  if (bias != NULL)
    {
      const Onnx__TensorProto *t = bias->constant;
      *why = "the bias is not one value or one per output along the last dim";
      if (t == NULL || t->n_dims > (gsize) rank)
        return FALSE;
      for (gsize d = 0; d + 1 < t->n_dims; d++)
        if (t->dims[d] != 1)
          return FALSE;
      gint64 size = tensor_n_elements (t);
      if ((size != 1 && size != n) || (b = tensor_to_cnnfilt (fusing->imp, t, 1, "", &ignored)) == NULL)
        return FALSE;
    }
  g_object_set (op, "weights", w, "bias", b, "trans-b", FALSE, "axis", rank - 1, NULL);
  return TRUE;
}

/* The values every binding names exist: the input data, numbers
 * constants of at most its rank, constants constants, shapes constants or
 * folded at import. */
static gboolean
check_bindings (Fusing *fusing, const gchar **why)
{
  Importer *imp = fusing->imp;
  Binding *x = find_binding (fusing->match->bindings, "x");
  fusing->input = x ? g_hash_table_lookup (imp->values, x->value) : NULL;
  if (fusing->input == NULL || (fusing->input->node == NULL && fusing->input->constant == NULL))
    {
      *why = "its input is not a tensor";
      return FALSE;
    }
  for (guint i = 0; i < fusing->match->bindings->len; i++)
    {
      Binding *binding = &g_array_index (fusing->match->bindings, Binding, i);
      Value *value = binding->value ? g_hash_table_lookup (imp->values, binding->value) : NULL;
      if (binding->value != NULL && value == NULL)
        {
          *why = "a value it reads is not defined before it";
          return FALSE;
        }
      switch (binding->kind)
        {
        case TERM_NUMBER:
          if (value->constant == NULL || (value->constant->n_dims > 0 &&
                                          (gint) value->constant->n_dims > fusing->input->rank))
            {
              *why = "a constant number has more dims than the input, and would broadcast it";
              return FALSE;
            }
          break;
        case TERM_CONSTANT:
        case TERM_SHAPE:
          if (value->constant == NULL && (binding->kind == TERM_CONSTANT || value->folded == NULL))
            {
              *why = "a parameter is computed, not constant";
              return FALSE;
            }
          break;
        default:
          break;
        }
    }
  return TRUE;
}

typedef enum { FUSED, NOT_FUSED, FAILED } FuseResult;

/* The match as one node: NOT_FUSED (*@why) where the values do not fit,
 * FAILED (@error) where adding the node fails. */
static FuseResult
fuse (Importer *imp, const PatternMatch *match, NodeCtx *ctx, const gchar **why, GError **error)
{
  Fusing fusing = { imp, match, NULL };
  if (!check_bindings (&fusing, why))
    return NOT_FUSED;
  g_autoptr (CnnfiltOp) op = cnnfilt_op_new (match->pattern->op, NULL);
  if (op == NULL || (match->pattern->apply && !match->pattern->apply (&fusing, op, why)))
    return NOT_FUSED;
  g_autoptr (GError) invalid = NULL;
  if (!cnnfilt_op_validate (op, &invalid))
    {
      *why = "its op refuses the values";
      return NOT_FUSED;
    }
  ctx->op = op;
  ctx->first_rank = fusing.input->rank;
  Binding *x = find_binding (match->bindings, "x");
  if (!add_fused_node (ctx, x->value, error))
    return FAILED;
  /* the values computed inside: there, so that no later node redefines them */
  for (guint i = 0; i + 1 < match->members->len; i++)
    {
      const Onnx__NodeProto *member = imp->model->graph->node[g_array_index (match->members, guint, i)];
      for (gsize k = 0; k < member->n_output; k++)
        if (*member->output[k] != '\0')
          add_value (imp, member->output[k]);
    }
  g_debug ("node '%s': %s imported as %s", ctx->label, match->pattern->name, match->pattern->op);
  return FUSED;
}

gboolean
import_match (Importer *imp, guint index, gboolean *handled, GError **error)
{
  const PatternMatch *match = imp->match_of[index];
  *handled = match != NULL;
  if (match == NULL || index != match->root)
    return TRUE; /* a member is imported with the root */
  const Onnx__NodeProto *proto = imp->model->graph->node[index];
  NodeCtx ctx = { imp, proto, NULL, NULL, -1 };
  ctx.label = proto->name && *proto->name ? proto->name : proto->output[0];
  for (gsize k = 0; k < proto->n_output; k++)
    if (*proto->output[k] != '\0' && g_hash_table_contains (imp->values, proto->output[k]))
      {
        node_error (error, &ctx, CNNFILT_ERROR_FORMAT,
                    "output '%s' is already produced by an earlier node or input",
                    proto->output[k]);
        return FALSE;
      }
  const gchar *why = NULL;
  FuseResult result = fuse (imp, match, &ctx, &why, error);
  if (result != NOT_FUSED)
    return result == FUSED;
  g_debug ("node '%s': %s imported node by node: %s", ctx.label, match->pattern->name, why);
  for (guint i = 0; i < match->members->len; i++)
    {
      guint member = g_array_index (match->members, guint, i);
      if (!import_node (imp, imp->model->graph->node[member], member, error))
        return FALSE;
    }
  return TRUE;
}

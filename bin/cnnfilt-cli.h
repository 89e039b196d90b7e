/* cnnfilt-cli.h: what the subcommands of `cnnfilt` share
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <cnnfilt.h>

G_BEGIN_DECLS

/* Exit statuses: every input done; some input failed; the command line is wrong. */
enum { EXIT_OK = 0, EXIT_INPUT_FAILED = 1, EXIT_USAGE = 2 };

/* Options of the commands that process files (run, edges). */
typedef struct {
  gchar *output_dir;
  gchar *format;        /* output suffix, or NULL for the input's own */
  gint jobs;            /* worker threads; 0 = one per core */
  gboolean skip_existing;
  gboolean quiet;
  gboolean progress;    /* force the progress bar off a terminal */
  gchar *device;
  gint compression;     /* PNG zlib level */
  gint quality;         /* JPEG/WebP quality */
} BatchOptions;

/* The GOptionEntry list for BatchOptions; default values must be set first. */
GOptionEntry *batch_option_entries (BatchOptions *options);
void          batch_options_init   (BatchOptions *options, gint default_compression);
void          batch_options_clear  (BatchOptions *options);

/* Runs @pipeline over the files and folders in @inputs. Returns an exit status. */
int  batch_run (const gchar *pipeline, BatchOptions *options, gchar **inputs);

/* Prints "cnnfilt: message" on stderr. */
void cli_error (const gchar *format, ...) G_GNUC_PRINTF (1, 2);

/* Parses @argv with @context; on failure prints the error and help hint. */
gboolean cli_parse (GOptionContext *context, int *argc, char ***argv, const gchar *command);

/* Loads an ONNX model, or prints "PATH: reason" on stderr and returns NULL. */
CnnfiltGraph *cli_load_model (const gchar *path);
/* One image's shape as the model's first input declares it (batch 1);
 * 1x3x224x224 where it declares none. */
void cli_model_input_shape (CnnfiltGraph *graph, CnnfiltShape *shape);

int command_run     (int argc, char **argv);
int command_edges   (int argc, char **argv);
int command_ops     (int argc, char **argv);
int command_inspect (int argc, char **argv);
int command_devices (int argc, char **argv);
int command_model   (int argc, char **argv);

G_END_DECLS

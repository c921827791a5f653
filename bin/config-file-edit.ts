import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, parseDocument, YAMLParseError } from 'yaml';
import { VigilError } from '../src/errors.ts';

/**
 * Adds one entry to the `cameras` list of a configuration file's text, keeping everything else
 * as it was: for YAML the comments, key order and layout (the `yaml` Document API edits the
 * parsed tree, not a re-dump of the values); JSON has no comments, so it is re-printed with
 * its indentation. Pure text in, text out; reading and writing the file are the caller's.
 */
export interface ConfigText {
  /** null when the file does not exist yet. */
  text: string | null;
  format: 'yaml' | 'json';
}

export interface EditedConfig {
  /** The new file content. */
  text: string;
  /** The same content as plain values, for validation. */
  values: unknown;
}

/** A new YAML file starts with this, so whoever opens it knows what it is. */
const NEW_FILE_HEADER = ' Vigil configuration. Every key and its default: docs/architecture.md#configuration';

export function readConfigText(file: string): ConfigText {
  const format = file.endsWith('.json') ? 'json' : 'yaml';
  try {
    return { text: readFileSync(file, 'utf8'), format };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { text: null, format };
    const why = code === 'EACCES' ? 'permission denied' : String(code ?? e);
    throw new VigilError('config_unreadable', `cannot read config file ${file}: ${why}`, { hint: 'Run the command as a user who may read and write the configuration.' });
  }
}

export function addCameraEntry(file: string, current: ConfigText, entry: Record<string, unknown>): EditedConfig {
  return current.format === 'json' ? addToJson(file, current.text, entry) : addToYaml(file, current.text, entry);
}

function addToYaml(file: string, text: string | null, entry: Record<string, unknown>): EditedConfig {
  const doc = parseDocument(text ?? '');
  const broken = doc.errors[0];
  if (broken) throw notParsable(file, 'YAML', broken.message, broken instanceof YAMLParseError ? broken.linePos?.[0] : undefined);
  if (text === null) doc.commentBefore = NEW_FILE_HEADER;
  if (isScalar(doc.contents) && doc.contents.value === null) doc.contents = null; // a file holding only `~` or `null`
  if (doc.contents !== null && !isMap(doc.contents)) throw notSettings(file);
  const cameras = doc.get('cameras', true);
  if (isSeq(cameras)) {
    if (cameras.items.length === 0) cameras.flow = false; // `cameras: []` becomes a block list
    cameras.add(doc.createNode(entry));
  } else if (cameras === undefined || (isScalar(cameras) && cameras.value === null)) {
    doc.set('cameras', doc.createNode([entry]));
  } else {
    throw notAList(file);
  }
  return { text: doc.toString(), values: doc.toJS() };
}

function addToJson(file: string, text: string | null, entry: Record<string, unknown>): EditedConfig {
  let values: unknown = {};
  if (text !== null && text.trim() !== '') {
    try {
      values = JSON.parse(text);
    } catch (e) {
      throw notParsable(file, 'JSON', (e as Error).message);
    }
  }
  if (values === null || typeof values !== 'object' || Array.isArray(values)) throw notSettings(file);
  const settings = values as Record<string, unknown>;
  if (settings.cameras !== undefined && settings.cameras !== null && !Array.isArray(settings.cameras)) throw notAList(file);
  const edited = { ...settings, cameras: [...((settings.cameras as unknown[] | null | undefined) ?? []), entry] };
  const indent = /^[{[]\r?\n([ \t]+)/.exec(text ?? '')?.[1] ?? '  ';
  return { text: `${JSON.stringify(edited, null, indent)}\n`, values: edited };
}

function notParsable(file: string, kind: string, message: string, at?: { line: number; col: number }): VigilError {
  const where = at ? ` at line ${at.line}, column ${at.col}` : '';
  return new VigilError('config_unreadable', `config file ${file} is not valid ${kind}${where}: ${message.split('\n')[0]}; nothing was changed`, {
    hint: 'Fix the syntax first (vigil check-config shows the same problem).',
  });
}

function notSettings(file: string): VigilError {
  return new VigilError('config_invalid', `config file ${file} must be a set of key: value settings; nothing was changed`);
}

function notAList(file: string): VigilError {
  return new VigilError('config_invalid', `"cameras" in ${file} must be a list of cameras; nothing was changed`);
}

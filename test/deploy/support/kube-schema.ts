import { createRequire } from 'node:module';

/** A Kubernetes object as rendered from YAML. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; [key: string]: unknown };
  [key: string]: unknown;
}

interface AjvError {
  instancePath: string;
  message?: string;
}

type Validate = (data: unknown) => AjvError[];

const requireModel = createRequire(__filename);
/** Never accepted by any JSON-schema type: put in place of a value, it makes the schema speak up. */
const PROBE = Symbol('probe');

/**
 * The kubernetes-models validator of an apiVersion/kind (`apps/v1` + `Deployment` →
 * `kubernetes-models/apps/v1/Deployment`), or undefined when the package has no such model.
 */
function validatorFor(apiVersion: string, kind: string): Validate | undefined {
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = requireModel(`kubernetes-models/${apiVersion}/${kind}`)[kind];
  } catch {
    return undefined;
  }
  return (data) => {
    try {
      new Model(data).validate();
      return [];
    } catch (error) {
      const errors = (error as { errors?: AjvError[] }).errors;
      if (!errors) throw error;
      return errors;
    }
  };
}

/**
 * Every problem of one object: unknown apiVersion/kind, schema violations (kubernetes-models),
 * and fields the schema does not define. Empty when the object is valid.
 */
export function kubernetesProblems(object: KubeObject): string[] {
  const validate = validatorFor(object.apiVersion, object.kind);
  if (!validate) return [`${object.apiVersion} ${object.kind} has no Kubernetes schema`];
  const schemaProblems = validate(object).map((error) => `${error.instancePath || '/'} ${error.message ?? 'invalid'}`);
  return [...schemaProblems, ...unknownFields(object, validate).map((path) => `${path} is not a field of the schema`)];
}

/**
 * Paths of the fields no schema defines. kubernetes-models ships compiled validators, not JSON
 * schemas, and they ignore extra properties; but a validator checks the type of every field
 * it knows (maps included, through additionalProperties). So, one depth at a time, each value
 * is swapped for a probe no type accepts: a known field reports an error at its own path, an
 * unknown one stays silent.
 */
export function unknownFields(object: KubeObject, validate: Validate): string[] {
  const unknown: string[] = [];
  for (let depth = 1; ; depth++) {
    const probed: string[] = [];
    const copy = probeAtDepth(object, depth, '', probed);
    if (probed.length === 0) return unknown;
    const reported = new Set(validate(copy).map((error) => error.instancePath));
    unknown.push(...probed.filter((path) => !reported.has(path)));
  }
}

/** A copy of `value` whose object fields at `depth` (array items do not count) hold PROBE; their paths go to `probed`. */
function probeAtDepth(value: unknown, depth: number, path: string, probed: string[]): unknown {
  if (Array.isArray(value)) return value.map((item, index) => probeAtDepth(item, depth, `${path}/${index}`, probed));
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (depth === 1) {
      copy[key] = PROBE;
      probed.push(childPath);
    } else {
      copy[key] = probeAtDepth(child, depth - 1, childPath, probed);
    }
  }
  return copy;
}

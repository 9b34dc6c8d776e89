import { CONFIG_VARIABLES, isSecretVariable } from '@plugboard/config';

/**
 * Variables a deployment does not pass through its shared settings, and why. Every other
 * variable the code reads must appear in the k8s ConfigMap/Secret and in the compose services.
 */
export const NOT_IN_SHARED_SETTINGS: Readonly<Record<string, string>> = {
  INSTANCE_ID: 'unique per pod/container: k8s sets it from the pod name; compose lets each container generate it',
  HTTP_PORT: 'differs per service: set in each Deployment / compose service of the three non-gateway services',
  BUS_SUBJECT_PREFIX: 'isolates test buses sharing one NATS; must stay unset in a deployment',
};

/** Variables that hold credentials: they belong in the Secret, never the ConfigMap. */
export const secretVariables = (): string[] => CONFIG_VARIABLES.filter(isSecretVariable);

/** The variables that must be present in a deployment's shared settings. */
export const sharedVariables = (): string[] => CONFIG_VARIABLES.filter((name) => !(name in NOT_IN_SHARED_SETTINGS));

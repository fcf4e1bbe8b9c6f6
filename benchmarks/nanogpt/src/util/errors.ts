// The benchmark reports the shared GPT package's usage errors (exit code 2) like its own.
export { UsageError, isModuleNotFound } from '@lmo/gpt';

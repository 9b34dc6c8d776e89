import { translateDriverError } from '../database.errors';

/** Runs a repository operation, turning driver failures into `DatabaseError`s. */
export async function guardDriverErrors<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw translateDriverError(error);
  }
}

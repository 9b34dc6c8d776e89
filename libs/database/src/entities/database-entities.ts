import { MessageBatchEntity } from './message-batch.entity';
import { MessageEntity } from './message.entity';
import { SchemaInfoEntity } from './schema-info.entity';
import { SessionEntity } from './session.entity';

/** Every entity of the database socket, registered explicitly: the build has no .ts files to glob. */
export const DATABASE_ENTITIES = [SessionEntity, MessageEntity, MessageBatchEntity, SchemaInfoEntity];

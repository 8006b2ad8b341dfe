-- name: upload_exists
-- Whether an upload of that number is in the upload log.
SELECT count(*) > 0 FROM uploads WHERE upload_id = $upload_id

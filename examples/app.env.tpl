# dotenv: double quotes escape " and \ (a value with $ needs single quotes); single quotes take the value as it is.
JIRA_USER={{workato:sm:prod.jira.user:arn:aws:secretsmanager:us-east-1:137149879143:secret:prod-jira-credentials-FsmeTs}}
JIRA_TOKEN="{{workato:sm:prod.jira.secret.key:arn:aws:secretsmanager:us-east-1:137149879143:secret:prod-jira-credentials-FsmeTs}}"
DB_PASSWORD="<<workato:sm:password:arn:aws:secretsmanager:eu-west-1:137149879143:secret:orders-db-Ab12Cd>>"
VAULT_ROLE_ID='<<workato:vault:role_id:kv/apono/approle>>'
NOTIFY_URL={{workato:akv::https://corp-kv.vault.azure.net/secrets/webhook-url}}

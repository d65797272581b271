drop table usage_scopes;
